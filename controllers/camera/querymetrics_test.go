package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestQueryResultOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"answered", nil, queryAnswered},
		{"part of a catalog", fmt.Errorf("sipd: Catalog of x: %w", sipd.ErrPartialCatalog), queryPartial},
		{"a non-2xx answer", &sipd.QueryError{Code: 488, Reason: "Not Acceptable Here"}, queryRefused},
		{"Result ERROR", fmt.Errorf("wrapped: %w", &sipd.ResultError{CmdType: "DeviceControl", Result: "ERROR"}), queryRefused},
		{"accepted, no Response", fmt.Errorf("no complete answer in time (%w): %w", sipd.ErrNoAnswer, context.DeadlineExceeded), queryNoAnswer},
		{"no answer to the MESSAGE before the request's timeout", fmt.Errorf("no complete answer in time: %w", context.DeadlineExceeded), queryNoAnswer},
		{"no answer to the MESSAGE (Timer F)", fmt.Errorf("%w: no answer to DeviceInfo", sipd.ErrUnreachable), queryNoAnswer},
		{"the registrar's bound", sipd.ErrTooManyQueries, queryNotSent},
		{"not registered", sipd.ErrNotRegistered, queryNotSent},
		{"the querier stopping", context.Canceled, queryNotSent},
		{"an answer that cannot be read", errors.New("manscdp: XML syntax error"), queryUnreadable},
	} {
		if got := queryResultOf(tc.err); got != tc.want {
			t.Errorf("%s: queryResultOf(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestQuerierUnansweredRequestsAreSilent: a device whose address takes every request
// and answers none, not even with a 200 (its port is a bare socket), is counted as
// no_answer for each request, and treated as silent: the guard, which alarms depend
// on, is sent again at the refresh, as for a device that took it and sent no Response.
func TestQuerierUnansweredRequestsAreSilent(t *testing.T) {
	const id = "34020000001320000094"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600}
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	deaf := takeOver(t, dev)

	before := queryCounts()
	clock := testutil.NewClock(t0)
	q := startDetailQuerier(t, srv, clock, Options{QueryTimeout: 300 * time.Millisecond, DeviceQueryTimeout: 300 * time.Millisecond})
	detail := enabledWant()
	detail.guard = gbv1.GuardArmed
	want := queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: srv.Device(id).Binding.RegisteredAt, refresh: time.Hour, catalog: true, detail: detail}
	q.due(want)
	idle(t, q, id)
	got := queryCounts().minus(before)
	for _, cmd := range []string{"DeviceInfo", "Catalog", "DeviceStatus", "ConfigDownload", "DeviceControl"} {
		if n := got[cmd+" "+queryNoAnswer]; n != 1 {
			t.Errorf("%s counted no_answer %v times, want 1 (all counted: %v)", cmd, n, got)
		}
	}
	if n := deaf.requests("GuardCmd"); n != 1 {
		t.Fatalf("the device got %d GuardCmd requests, want 1", n)
	}

	refreshNow(t, q, clock, want)
	if n := deaf.requests("GuardCmd"); n != 2 {
		t.Errorf("the device got %d GuardCmd requests after the refresh, want 2: an unanswered guard is sent again", n)
	}
	if n := deaf.requests("DeviceStatus"); n != 1 {
		t.Errorf("the device got %d DeviceStatus requests after the refresh, want 1: a silent device is not asked again in its registration", n)
	}
}

// TestQuerierKeepsChannelsOfAnUnansweredRefresh: a device that accepts the catalog
// refresh and sends no part of it (busy, or rebooting) leaves no catalog to write, not an
// empty one: its Camera keeps its channels until an answer comes. The refresh is counted
// as no_answer and asked again after the retry interval.
func TestQuerierKeepsChannelsOfAnUnansweredRefresh(t *testing.T) {
	const id = "34020000001320000095"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600,
		Info: manscdp.DeviceInfo{DeviceName: "n"}, Catalog: items(3)}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	clock := testutil.NewClock(t0)
	// Long enough for a loaded machine's answers; the unanswered catalog costs all of it.
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: 2 * time.Second, QueryRetryInterval: time.Minute})
	want := queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: srv.Device(id).Binding.RegisteredAt, refresh: time.Hour, catalog: true}
	q.due(want)
	waitNotify(t, notify, id)
	res := q.result(id)
	if res.catalog == nil || len(res.catalog.Items) != 3 {
		t.Fatalf("first catalog %+v", res.catalog)
	}
	q.consumed(id, res) // written to the status

	dev.SetCatalogParts(-1)
	before := queryCounts()
	clock.Advance(time.Hour)
	q.due(want)
	waitNotify(t, notify, id)
	if res := q.result(id); res.catalog != nil {
		t.Fatalf("an unanswered refresh left a catalog of %d items to write over the status's 3 channels", len(res.catalog.Items))
	}
	if got := queryCounts().minus(before); got["Catalog "+queryNoAnswer] != 1 || got["DeviceInfo "+queryAnswered] != 1 {
		t.Errorf("counted %v, want Catalog no_answer and DeviceInfo answered once each", got)
	}
	if next := q.due(want); !next.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("next query at %v, want the retry interval after the unanswered refresh (%v)", next, clock.Now().Add(time.Minute))
	}
}

// queryCountSet is the device request counter's values, by "command result".
type queryCountSet map[string]float64

func queryCounts() queryCountSet {
	set := queryCountSet{}
	for _, cmd := range []string{"DeviceInfo", "Catalog", "DeviceStatus", "ConfigDownload", "DeviceConfig", "DeviceControl", "PresetQuery"} {
		for _, result := range []string{queryAnswered, queryPartial, queryRefused, queryNoAnswer, queryNotSent, queryUnreadable} {
			set[cmd+" "+result] = promtestutil.ToFloat64(deviceQueriesTotal.WithLabelValues(cmd, result))
		}
	}
	return set
}

// minus is what was counted since before; zero counts are left out.
func (s queryCountSet) minus(before queryCountSet) queryCountSet {
	d := queryCountSet{}
	for k, v := range s {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// deafDevice is a bare UDP socket on a registered device's address: it reads every
// request and answers none.
type deafDevice struct {
	mu      sync.Mutex
	callIDs map[string]map[string]bool // by the body's command word, the requests' Call-IDs
}

var (
	callIDHeader = regexp.MustCompile(`(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)`)
	cmdType      = regexp.MustCompile(`<CmdType>([A-Za-z]+)<`)
)

// takeOver closes dev and listens on its address in its place.
func takeOver(t *testing.T, dev *sim.Scripted) *deafDevice {
	t.Helper()
	addr := dev.LocalAddr()
	dev.Close()
	var pc net.PacketConn
	testutil.Eventually(t, 5*time.Second, "the device's port free", func() (err error) {
		pc, err = net.ListenPacket("udp", addr)
		return err
	})
	t.Cleanup(func() { _ = pc.Close() })
	d := &deafDevice{callIDs: map[string]map[string]bool{}}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			d.record(buf[:n])
		}
	}()
	return d
}

func (d *deafDevice) record(msg []byte) {
	id := callIDHeader.FindSubmatch(msg)
	if id == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var words []string
	if m := cmdType.FindSubmatch(msg); m != nil {
		words = append(words, string(m[1]))
	}
	if bytes.Contains(msg, []byte("<GuardCmd>")) {
		words = append(words, "GuardCmd")
	}
	for _, word := range words {
		if d.callIDs[word] == nil {
			d.callIDs[word] = map[string]bool{}
		}
		d.callIDs[word][string(id[1])] = true
	}
}

// requests is how many requests (retransmissions aside) carried word as their CmdType,
// or a GuardCmd for word "GuardCmd".
func (d *deafDevice) requests(word string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.callIDs[word])
}
