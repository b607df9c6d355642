package camera

import (
	"sync/atomic"
	"testing"
	"time"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

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
	if pace := promtestutil.ToFloat64(queryPace); pace != 0 {
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
	if pace := promtestutil.ToFloat64(queryPace); pace != 1 {
		t.Errorf("falling behind: query pace %v, want 1/s", pace)
	}

	// Keeping up again: the waiting job goes, and so does the next.
	reg.delay.Store(0)
	waitNotify(t, notify, id)
	ask()
	waitNotify(t, notify, id)
}
