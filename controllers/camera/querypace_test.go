package camera

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// fallingBehind is the real registrar with its UDP queue delay set by the test: the
// querier's pacing reads nothing else of it.
type fallingBehind struct {
	*sipd.Server
	delay atomic.Int64
}

func (f *fallingBehind) QueueDelay() time.Duration { return time.Duration(f.delay.Load()) }

// TestQuerierPacedByRegistrarQueueDelay: while the registrar's queue delay is over the
// threshold, query jobs wait for the pacer (here 1/s, so the first waits a second), and
// once it is quick again they go on; a registrar that keeps up sees its device queried
// at once.
func TestQuerierPacedByRegistrarQueueDelay(t *testing.T) {
	const id = "34020000001320000089"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600, Info: manscdp.DeviceInfo{DeviceName: "n"}}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	regAt := srv.Device(id).Binding.RegisteredAt

	reg := &fallingBehind{Server: srv}
	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, reg, clock, Options{QueryTimeout: 5 * time.Second,
		Pacing: PacingOptions{QueueDelay: 20 * time.Millisecond, Floor: 1, Ceiling: 2}})
	ask := func() {
		clock.Advance(2 * time.Hour) // the refresh is due
		q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour})
	}

	// Keeping up: queried at once, unpaced.
	ask()
	waitNotify(t, notify, id)
	if pace := promtestutil.ToFloat64(deviceJobPace); pace != 0 {
		t.Fatalf("a registrar that keeps up: query pace %v, want 0 (unpaced)", pace)
	}

	// Falling behind: the job waits its turn at 1/s.
	reg.delay.Store(int64(time.Second))
	time.Sleep(pacerCheckEvery) // the pacer reads the delay again no sooner
	ask()
	select {
	case <-notify:
		t.Fatal("queried within half a second while the registrar falls behind and jobs go at 1/s")
	case <-time.After(500 * time.Millisecond):
	}
	if pace := promtestutil.ToFloat64(deviceJobPace); pace != 1 {
		t.Errorf("falling behind: query pace %v, want 1/s", pace)
	}

	// Keeping up again: the waiting job goes, and so does the next.
	reg.delay.Store(0)
	waitNotify(t, notify, id)
	ask()
	waitNotify(t, notify, id)
}

// TestSubscriberSharesTheQueryPace: the subscriber's jobs wait for the querier's pacer,
// as Setup wires them, since a SUBSCRIBE loads the registrar as a query does. While the
// registrar falls behind (jobs at 1/s, the bucket empty), a subscription and a query due
// together take one turn each, a second apart: of the two, no more than one is done
// within a second and a half. Each with a pacer of its own, or the subscriber with
// none, both would be. Once the registrar is quick again, the device holds the
// subscription.
func TestSubscriberSharesTheQueryPace(t *testing.T) {
	const id = "34020000001320000091"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev, err := sim.NewDevice(sim.Config{ID: id, Password: "pw", Server: srv.UDPAddr(), LocalIP: "127.0.0.1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	regAt := srv.Device(id).Binding.RegisteredAt

	reg := &fallingBehind{Server: srv}
	reg.delay.Store(int64(time.Second))
	clock := testutil.NewClock(t0)
	opts := Options{QueryTimeout: 5 * time.Second, Pacing: PacingOptions{QueueDelay: 20 * time.Millisecond, Floor: 1, Ceiling: 2}}
	q, queried := startQuerier(t, reg, clock, opts)
	opts.now = clock.Now
	subscribed := make(chan string, 4)
	s := newSubscriber(reg, opts.WithDefaults(), q.pace, func(id string) { subscribed <- id }, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	s.due(subscriptionWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt,
		requests: wantedSubscriptions(gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}})})
	q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt, refresh: time.Hour})

	finished := 0
	within := time.After(1500 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case <-queried:
			finished++
		case <-subscribed:
			finished++
		case <-within:
			waiting = false
		}
	}
	if finished > 1 {
		t.Fatal("a subscription and a query both done within 1.5 s while the registrar falls behind and device jobs go at 1/s: they do not share one pace")
	}

	reg.delay.Store(0)
	for ; finished < 2; finished++ {
		select {
		case <-queried:
		case <-subscribed:
		case <-time.After(15 * time.Second):
			t.Fatal("the subscription and the query not both done once the registrar keeps up")
		}
	}
	if subs := dev.Subscriptions(); len(subs) != 1 || subs[0].Kind != "Catalog" {
		t.Errorf("the device holds subscriptions %+v, want the catalog's", subs)
	}
}
