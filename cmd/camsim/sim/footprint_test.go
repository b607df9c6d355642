package sim

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// A fleet that uses none of the device behaviours beyond registering, keeping alive and
// answering DeviceInfo and Catalog must cost nothing for them: no goroutine or timer per
// device, and no device state made. These run a fleet's life against sipd and look
// inside.

func runFleet(t testing.TB, n int) (fleet *Fleet, goroutines int) {
	t.Helper()
	const first = "34020000001320000001"
	store := sipdtest.NewStore(nil)
	for i := range n {
		id, _ := NextID(first, i)
		store.SetPassword(id, "pw")
	}
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	fleet, err := NewFleet(FleetConfig{
		Device: Config{ID: first, Password: "pw", Server: srv.UDPAddr(), KeepaliveInterval: 200 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Count: n, Endpoints: 4, Workers: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		fleet.Run(ctx, 10*time.Second)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	testutil.EventuallyTrue(t, 30*time.Second, "every device registered and keeping alive", func() bool {
		s := fleet.Summary()
		return s.Registered >= int64(n) && s.KeepalivesOK >= int64(n)
	})
	// Ask a few devices what a platform asks every device.
	qctx, qcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer qcancel()
	for _, d := range fleet.Devices()[:3] {
		if _, err := srv.QueryDeviceInfo(qctx, sipd.DeviceRef{ID: d.ID()}); err != nil {
			t.Errorf("DeviceInfo of %s: %v", d.ID(), err)
		}
		if _, err := srv.QueryCatalog(qctx, sipd.DeviceRef{ID: d.ID()}); err != nil {
			t.Errorf("Catalog of %s: %v", d.ID(), err)
		}
	}
	return fleet, runtime.NumGoroutine()
}

// TestFleetPaysNothingForUnusedBehaviours: while a fleet of 1,000 runs, the process has
// about as many goroutines as while one of 100 does, and no device made its state
// (where subscriptions, alarm timers, PTZ and presets live).
func TestFleetPaysNothingForUnusedBehaviours(t *testing.T) {
	_, small := runFleet(t, 100)
	fleet, large := runFleet(t, 1000)
	if large-small > 50 {
		t.Errorf("%d goroutines with 1,000 devices against %d with 100: they grow with the fleet", large, small)
	}
	for _, d := range fleet.Devices() {
		if d.stateIfAny() != nil {
			t.Fatalf("device %s made its state without being controlled or subscribed to", d.ID())
		}
	}
}

// BenchmarkDeviceFootprint reports the heap one device of a fleet costs before it
// sends anything (the Device and what NewFleet makes for it), so that additions to
// Device show in the figures.
func BenchmarkDeviceFootprint(b *testing.B) {
	const n = 10000
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		fleet, err := NewFleet(FleetConfig{Device: Config{ID: "34020000001320000001", Server: "127.0.0.1:9", LocalIP: "127.0.0.1",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Count: n, Endpoints: 4})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "heap-bytes/device")
		fleet.Close()
	}
}
