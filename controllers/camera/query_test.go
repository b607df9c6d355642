package camera

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The querier is tested against the real registrar and a real device; only the
// credentials come from a map instead of Kubernetes, and the clock is the test's so the
// refresh schedule can be checked without waiting an hour.

func startQuerier(t *testing.T, reg Registrar, clock *testutil.Clock, opts Options) (*querier, chan string) {
	t.Helper()
	opts.now = clock.Now
	opts = opts.WithDefaults()
	notify := make(chan string, 16)
	q := newQuerier(reg, opts, func(id string) { notify <- id }, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return q, notify
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitNotify(t *testing.T, notify chan string, id string) {
	t.Helper()
	select {
	case got := <-notify:
		if got != id {
			t.Fatalf("notified %s, want %s", got, id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no query completion")
	}
}

// answeringAndMute starts a registrar with the devices ids registered, each answering
// DeviceInfo with its ID for a name, and mute bound at t0 to a socket that never
// answers. It returns the registrar and each device's registration time.
func answeringAndMute(t *testing.T, ids []string, mute string) (*sipd.Server, map[string]time.Time) {
	t.Helper()
	creds := map[string]string{}
	for _, id := range ids {
		creds[id] = "pw"
	}
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(creds))
	regAt := map[string]time.Time{mute: t0}
	for _, id := range ids {
		dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600, Info: manscdp.DeviceInfo{DeviceName: id}}
		t.Cleanup(dev.Close)
		if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
			t.Fatalf("REGISTER: %v %v", res, err)
		}
		regAt[id] = srv.Device(id).Binding.RegisteredAt
	}
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	srv.Seed([]sipd.Binding{{DeviceID: mute, Transport: "UDP", RemoteAddr: silent.LocalAddr().String(), RegisteredAt: t0, ExpiresAt: time.Now().Add(time.Hour), Expires: time.Hour}})
	return srv, regAt
}

func TestQuerierSchedule(t *testing.T) {
	const id = "34020000001320000081"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600,
		Info:    manscdp.DeviceInfo{DeviceName: "n", Manufacturer: "Dahua", Model: "m", Firmware: "f", Channel: 3},
		Catalog: items(3), CatalogPartSize: 1}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: 5 * time.Second, QueryRetryInterval: time.Minute})
	regAt := srv.Device(id).Binding.RegisteredAt

	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true}); !next.IsZero() {
		t.Fatalf("first due = %v, want a query now", next)
	}
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true}); !next.IsZero() {
		t.Fatalf("due while queued = %v, want zero (the completion reports)", next)
	}
	waitNotify(t, notify, id)
	res := q.result(id)
	if res.info == nil || res.info.Manufacturer != "Dahua" || res.catalog == nil || len(res.catalog.Items) != 3 || !res.catalogAt.Equal(t0) {
		t.Fatalf("result = %+v", res)
	}
	if n, m := dev.QueryCount("DeviceInfo"), dev.QueryCount("Catalog"); n != 1 || m != 1 {
		t.Fatalf("device got %d DeviceInfo and %d Catalog queries, want 1 and 1", n, m)
	}

	// Not due again before the refresh interval.
	clock.Advance(59 * time.Minute)
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true}); !next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("due before refresh = %v, want %v", next, t0.Add(time.Hour))
	}
	clock.Advance(time.Minute)
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true}); !next.IsZero() {
		t.Fatalf("due at refresh = %v, want a query now", next)
	}
	waitNotify(t, notify, id)
	if n := dev.QueryCount("Catalog"); n != 2 {
		t.Fatalf("%d Catalog queries after the refresh, want 2", n)
	}

	// A new registration is queried at once, refresh or not; with the catalog disabled,
	// for its DeviceInfo only.
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt.Add(time.Second), refresh: time.Hour, catalog: false}); !next.IsZero() {
		t.Fatalf("due for a new registration = %v, want a query now", next)
	}
	waitNotify(t, notify, id)
	if n, m := dev.QueryCount("DeviceInfo"), dev.QueryCount("Catalog"); n != 3 || m != 2 {
		t.Fatalf("%d DeviceInfo and %d Catalog queries, want 3 and 2 (catalog disabled)", n, m)
	}

	// Answers written to status are released; answers that came later are kept.
	first := q.result(id)
	clock.Advance(time.Hour)
	q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt.Add(time.Second), refresh: time.Hour, catalog: true})
	waitNotify(t, notify, id)
	q.consumed(id, first)
	if res := q.result(id); res.info == nil || res.info == first.info || res.catalog == nil {
		t.Fatalf("newer answers released by the write of older ones: %+v", res)
	}
	q.consumed(id, q.result(id))
	if res := q.result(id); res.info != nil || res.catalog != nil {
		t.Fatalf("answers kept after they were written: %+v", res)
	}
	q.consumed("34020000001320000099", first) // unknown device: nothing to do

	// Forgotten devices lose their answers.
	q.forget(id)
	if res := q.result(id); res.info != nil || res.catalog != nil {
		t.Fatalf("answers kept after forget: %+v", res)
	}
}

func TestQuerierPartialAndFailedAnswers(t *testing.T) {
	const id, absent = "34020000001320000082", "34020000001320000083"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw", absent: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600,
		Info: manscdp.DeviceInfo{DeviceName: "n"}, Catalog: items(4), CatalogPartSize: 2, CatalogParts: 1}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: time.Second, QueryRetryInterval: time.Minute})

	regAt := srv.Device(id).Binding.RegisteredAt
	q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true})
	waitNotify(t, notify, id)
	res := q.result(id)
	if res.catalog == nil || len(res.catalog.Items) != 2 || res.catalog.SumNum != 4 {
		t.Fatalf("partial catalog not kept: %+v", res.catalog)
	}
	if _, count := channelsFromCatalog(res.catalog); count != 4 {
		t.Errorf("channelCount of a partial catalog = %d, want the announced 4", count)
	}
	// A partial answer is retried after the retry interval, not the refresh interval.
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true}); !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("next query after a partial catalog at %v, want %v", next, t0.Add(time.Minute))
	}

	// A device that is not registered: the query fails, nothing is recorded, retried later.
	q.due(queryWant{dev: sipd.DeviceRef{ID: absent}, registeredAt: t0, refresh: time.Hour, catalog: true})
	waitNotify(t, notify, absent)
	if res := q.result(absent); res.info != nil || res.catalog != nil {
		t.Errorf("answers recorded for an unregistered device: %+v", res)
	}
	if next := q.due(queryWant{dev: sipd.DeviceRef{ID: absent}, registeredAt: t0, refresh: time.Hour, catalog: true}); !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("retry at %v, want %v", next, t0.Add(time.Minute))
	}
}

// TestQuerierTakesOverWithoutRequerying: a leader that just took over knows nothing of
// the fleet's queries, but a Camera whose status holds this registration's catalog is
// queried at its refresh, not at once: a restart does not query the whole fleet again.
func TestQuerierTakesOverWithoutRequerying(t *testing.T) {
	const id = "34020000001320000084"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600, Info: manscdp.DeviceInfo{DeviceName: "n"}, Catalog: items(1)}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: 5 * time.Second})
	regAt := srv.Device(id).Binding.RegisteredAt
	want := queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour, catalog: true, queriedAt: t0.Add(-10 * time.Minute)}
	if next := q.due(want); !next.Equal(t0.Add(50 * time.Minute)) {
		t.Fatalf("due after a takeover = %v, want the previous leader's query's refresh %v", next, t0.Add(50*time.Minute))
	}
	clock.Advance(50 * time.Minute)
	if next := q.due(want); !next.IsZero() {
		t.Fatalf("due at the refresh = %v, want a query now", next)
	}
	waitNotify(t, notify, id)
	if n := dev.QueryCount("DeviceInfo"); n != 1 {
		t.Errorf("%d DeviceInfo queries, want 1 (at the refresh only)", n)
	}
}

// TestQuerierServesNewRegistrationsFirst: with every query slot taken by a device that
// does not answer, a device that just registered is queried before devices whose
// refresh came due earlier.
func TestQuerierServesNewRegistrationsFirst(t *testing.T) {
	ids := []string{"34020000001320000085", "34020000001320000086", "34020000001320000087"}
	const mute = "34020000001320000088"
	srv, regAt := answeringAndMute(t, ids, mute)

	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: time.Second, MaxConcurrentQueries: 1})
	refreshing, fresh := ids[:2], ids[2]
	for _, id := range refreshing {
		q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt[id], refresh: time.Hour})
		waitNotify(t, notify, id)
	}
	clock.Advance(time.Hour)
	q.due(queryWant{dev: sipd.DeviceRef{ID: mute}, registeredAt: t0, refresh: time.Hour}) // takes the one slot
	for _, id := range refreshing {
		q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt[id], refresh: time.Hour})
	}
	q.due(queryWant{dev: sipd.DeviceRef{ID: fresh}, registeredAt: regAt[fresh], refresh: time.Hour})
	waitNotify(t, notify, mute)
	waitNotify(t, notify, fresh)
	waitNotify(t, notify, refreshing[0])
	waitNotify(t, notify, refreshing[1])
}
