package sipd_test

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestOverloadIsShed: with its one worker busy and its queue full, the registrar answers
// a further REGISTER 503 with Retry-After at once, drops a queued one that waited past
// MaxQueueDelay, and answers normally again once it has capacity.
func TestOverloadIsShed(t *testing.T) {
	// The worker stays busy until tokens is closed.
	store := &tokenStore{Store: devStore(), entered: make(chan struct{}, 1), tokens: make(chan struct{})}
	var openOnce sync.Once
	open := func() { openOnce.Do(func() { close(store.tokens) }) }
	reg := prometheus.NewRegistry()
	shed := func() float64 { return metricValue(t, reg, "sipd_requests_shed_total", nil) }
	s := sipdtest.StartT(t, sipd.Config{UDPWorkers: 1, MaxQueuedDatagrams: 1, MaxQueueDelay: 200 * time.Millisecond, Registerer: reg}, store)
	defer open()
	conn, err := net.Dial("udp", s.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	register := func(callID string) {
		t.Helper()
		msg := "REGISTER sip:3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP " + conn.LocalAddr().String() + ";rport;branch=z9hG4bK" + callID + "\r\n" +
			"From: <sip:" + devID + "@3402000000>;tag=x\r\nTo: <sip:" + devID + "@3402000000>\r\nCall-ID: " + callID + "\r\n" +
			"CSeq: 1 REGISTER\r\nContact: <sip:" + devID + "@" + conn.LocalAddr().String() + ">\r\nMax-Forwards: 70\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n"
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		return string(buf[:n])
	}

	register("busy") // taken by the one worker, which blocks in the store
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker never looked the device up")
	}
	register("queued") // fills the queue
	register("shed")   // no room: shed
	if got := read(); !strings.HasPrefix(got, "SIP/2.0 503") || !strings.Contains(got, "Call-ID: shed") || !strings.Contains(got, "Retry-After: 5") {
		t.Fatalf("over capacity, got:\n%s", got)
	}
	time.Sleep(300 * time.Millisecond) // the queued REGISTER is now older than MaxQueueDelay
	open()
	if got := read(); !strings.HasPrefix(got, "SIP/2.0 401") || !strings.Contains(got, "Call-ID: busy") {
		t.Fatalf("the busy request, got:\n%s", got)
	}
	// The worker drops the stale queued REGISTER next; then there is room again.
	for deadline := time.Now().Add(5 * time.Second); shed() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the stale queued request was not dropped (shed = %v)", shed())
		}
		time.Sleep(5 * time.Millisecond)
	}
	register("later")
	if got := read(); !strings.HasPrefix(got, "SIP/2.0 401") || !strings.Contains(got, "Call-ID: later") {
		t.Fatalf("after the overload (the stale queued request must get no answer), got:\n%s", got)
	}
	if got := shed(); got != 2 {
		t.Errorf("shed = %v, want 2 (one 503, one stale drop)", got)
	}
}

// tokenStore lets one credential lookup through per token (all of them once tokens is
// closed), so that the test decides when the registrar's one worker is busy and when
// it goes on.
type tokenStore struct {
	*sipdtest.Store
	entered chan struct{}
	tokens  chan struct{}
}

func (g *tokenStore) LookupCredentials(id string) (sipd.Credentials, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.tokens
	return g.Store.LookupCredentials(id)
}

// TestOverloadShedsNewRegistrationsBeforeAnswers: with its one worker busy and its
// queue full of REGISTERs opening registrations, the registrar admits a device's answer
// to its challenge by shedding the newest opening REGISTER (503 with Retry-After), then
// serves the answer: the 401 it already sent turns into a registration.
func TestOverloadShedsNewRegistrationsBeforeAnswers(t *testing.T) {
	store := &tokenStore{Store: devStore(), entered: make(chan struct{}, 1), tokens: make(chan struct{}, 8)}
	s := sipdtest.StartT(t, sipd.Config{UDPReaders: 1, UDPWorkers: 1, MaxQueuedDatagrams: 2, MaxQueueDelay: 5 * time.Second}, store)
	defer close(store.tokens)
	p := dialRaw(t, s, "udp")
	port := p.localPort()

	store.tokens <- struct{}{}
	nonce := challengeNonce(t, p.exchange(registerText(port, "first", 1, "3600", "")))
	<-store.entered
	p.send(registerText(port, "busy", 10, "3600", "")) // taken by the worker, which waits for a token
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker never looked the device up")
	}
	p.send(registerText(port, "new1", 11, "3600", "")) // the queue holds two
	p.send(registerText(port, "new2", 12, "3600", ""))
	p.send(authRequest(t, s, port, "answer", nonce, "", 2, "3600"))
	shed := p.answerWithin(5 * time.Second)
	if shed == nil || shed.StatusCode != 503 || shed.CSeq().SeqNo != 12 || header(shed, "Retry-After") == "" {
		t.Fatalf("the answer arriving at a full queue: got %v, want a 503 with Retry-After to the newest opening REGISTER (CSeq 12)", shed)
	}

	for range 3 {
		store.tokens <- struct{}{}
	}
	// Answers by CSeq: the busy REGISTER's first; the queued two in arrival order, or
	// the answer first when one read took both.
	want := map[uint32]int{10: 401, 11: 401, 2: 200}
	for range len(want) {
		res := p.answerWithin(5 * time.Second)
		if res == nil {
			t.Fatalf("no answer; still waiting for %v (CSeq: code)", want)
		}
		if code, ok := want[res.CSeq().SeqNo]; !ok || res.StatusCode != code {
			t.Fatalf("got %d to CSeq %d, want %v (CSeq: code)", res.StatusCode, res.CSeq().SeqNo, want)
		}
		delete(want, res.CSeq().SeqNo)
	}
}
