package sipd_test

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestSilenceWatch: a watched device that keeps alive is not signalled, however often
// its watch comes due; one that falls silent for its timeout is signalled once, as a
// change of state; a watch of a registration the device no longer holds is refused.
func TestSilenceWatch(t *testing.T) {
	store := devStore()
	clock, changes := testutil.NewClock(time.Now()), sipdtest.NewChanges()
	s := sipdtest.StartT(t, sipd.Config{Now: clock.Now, Notifier: changes, SweepInterval: 10 * time.Millisecond}, store)
	d := device(t, s, "udp", devID, devPW)
	ctx := testCtx(t)
	if r, err := d.RegisterExpires(ctx, 3600); err != nil || r.Final.StatusCode != 200 {
		t.Fatalf("register: %v %v", r, err)
	}
	changes.Wait(t, devID)
	b := s.Device(devID).Binding
	if res, err := d.Keepalive(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("keepalive: %v %v", res, err)
	}
	changes.Wait(t, devID) // the first keepalive is news
	if !s.Quiet(devID, b.RegisteredAt, clock.Now().Add(time.Hour)) {
		t.Fatal("Quiet refused the live registration")
	}

	const timeout = 3 * time.Minute
	if !s.WatchSilence(devID, b.RegisteredAt, clock.Now().Add(timeout), timeout) {
		t.Fatal("WatchSilence refused the live registration")
	}
	before := changes.Count(devID)
	// Alive: a keepalive every minute for ten minutes; the watch comes due three times
	// and finds a recent keepalive each time.
	for range 10 {
		clock.Advance(time.Minute)
		if res, err := d.Keepalive(ctx); err != nil || res.StatusCode != 200 {
			t.Fatalf("keepalive: %v %v", res, err)
		}
		time.Sleep(30 * time.Millisecond) // a few sweeps
	}
	if got := changes.Count(devID); got != before {
		t.Fatalf("a device keeping alive was signalled %d times", got-before)
	}
	if n := sipd.SilenceWatches(s); n != 1 {
		t.Fatalf("%d silence watches, want the device's one", n)
	}

	// Silent: one minute short of the timeout nothing happens; past it, one signal.
	clock.Advance(timeout - time.Minute)
	time.Sleep(50 * time.Millisecond)
	if got := changes.Count(devID); got != before {
		t.Fatalf("signalled %d times before the timeout ran out", got-before)
	}
	clock.Advance(time.Minute)
	changes.Wait(t, devID)
	time.Sleep(50 * time.Millisecond)
	if got := changes.Count(devID); got != before+1 {
		t.Fatalf("a silent device was signalled %d times, want once", got-before)
	}
	if n := sipd.SilenceWatches(s); n != 0 {
		t.Fatalf("%d silence watches after the signal, want none until watched again", n)
	}

	if s.WatchSilence(devID, b.RegisteredAt.Add(-time.Second), clock.Now().Add(timeout), timeout) {
		t.Fatal("WatchSilence applied to a registration the device does not hold")
	}
	if !s.WatchSilence(devID, b.RegisteredAt, clock.Now().Add(timeout), timeout) {
		t.Fatal("WatchSilence refused to watch again")
	}
	if res, err := d.Unregister(ctx); err != nil || res.StatusCode != 200 {
		t.Fatalf("unregister: %v %v", res, err)
	}
	changes.Wait(t, devID)
	if n := sipd.SilenceWatches(s); n != 0 {
		t.Fatalf("an unregistered device is still watched (%d watches)", n)
	}
}
