package sipd

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestWriteRaw503(t *testing.T) {
	register := "REGISTER sip:3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1\r\n" +
		"From: <sip:34020000001320000001@3402000000>;tag=a\r\n" +
		"To: <sip:34020000001320000001@3402000000>\r\n" +
		"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:x@192.0.2.1>\r\nContent-Length: 0\r\n\r\n"
	compact := "MESSAGE sip:x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK2\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>;TAG=2\r\ni: c2\r\nCSeq: 7 MESSAGE\r\n\r\n<Notify/>"
	tests := []struct {
		name  string
		in    string
		ok    bool
		wants []string
	}{
		{"REGISTER", register, true, []string{"SIP/2.0 503 Service Unavailable\r\n", "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1\r\n",
			"To: <sip:34020000001320000001@3402000000>;tag=t1\r\n", "Call-ID: c1\r\n", "CSeq: 1 REGISTER\r\n", "Retry-After: 5\r\n", "Content-Length: 0\r\n\r\n"}},
		{"compact MESSAGE with a tag", compact, true, []string{"v: SIP/2.0/UDP h;branch=z9hG4bK2\r\n", "t: <sip:c@d>;TAG=2\r\n", "i: c2\r\n"}},
		{"response", "SIP/2.0 200 OK\r\n" + register[strings.Index(register, "Via"):], false, nil},
		{"ACK", "ACK sip:x SIP/2.0\r\n" + register[strings.Index(register, "Via"):], false, nil},
		{"no Call-ID", strings.Replace(register, "Call-ID: c1\r\n", "", 1), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			ok := writeRaw503(&buf, []byte(tc.in), "5", "test", "t1")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			out := buf.String()
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("answer lacks %q:\n%s", w, out)
				}
			}
			if ok && strings.Contains(out, "Contact") {
				t.Errorf("answer copies Contact:\n%s", out)
			}
		})
	}
}

// gatedStore blocks every lookup until open is closed, so the worker that calls it is
// busy for as long as the test wants.
type gatedStore struct {
	*memStore
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func (g *gatedStore) LookupCredentials(id string) (Credentials, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.open
	return g.memStore.LookupCredentials(id)
}

// TestOverloadIsShed: with its one worker busy and its queue full, the registrar answers
// a further REGISTER 503 with Retry-After at once, drops a queued one that waited past
// MaxQueueDelay, and answers normally again once it has capacity.
func TestOverloadIsShed(t *testing.T) {
	store := &gatedStore{memStore: newMemStore(), entered: make(chan struct{}, 1), open: make(chan struct{})}
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{UDPWorkers: 1, MaxQueuedDatagrams: 1, MaxQueueDelay: 200 * time.Millisecond}, store)
	defer store.once.Do(func() { close(store.open) })
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
	store.once.Do(func() { close(store.open) })
	if got := read(); !strings.HasPrefix(got, "SIP/2.0 401") || !strings.Contains(got, "Call-ID: busy") {
		t.Fatalf("the busy request, got:\n%s", got)
	}
	// The worker drops the stale queued REGISTER next; then there is room again.
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(s.metrics.shed) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the stale queued request was not dropped (shed = %v)", testutil.ToFloat64(s.metrics.shed))
		}
		time.Sleep(5 * time.Millisecond)
	}
	register("later")
	if got := read(); !strings.HasPrefix(got, "SIP/2.0 401") || !strings.Contains(got, "Call-ID: later") {
		t.Fatalf("after the overload (the stale queued request must get no answer), got:\n%s", got)
	}
	if got := testutil.ToFloat64(s.metrics.shed); got != 2 {
		t.Errorf("shed = %v, want 2 (one 503, one stale drop)", got)
	}
}
