package camera

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"
)

// TestPacerEngagesAndReleases drives the pacer with a simulated registrar queue
// delay and clock: unpaced while the queue is quick, paced (writes spread out, the rate
// halving down to the floor) while it is slow, and unpaced again once it is quick.
func TestPacerEngagesAndReleases(t *testing.T) {
	var queue time.Duration
	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "pace"})
	p := newPacer(func() time.Duration { return queue }, PacingOptions{QueueDelay: 20 * time.Millisecond, Floor: 10, Ceiling: 400}, gauge)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() { now = now.Add(pacerCheckEvery) }
	pace := func() rate.Limit {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.pace()
	}

	// A quick queue: a hundred writes at one instant all go at once.
	for range 100 {
		if d := p.delay(now); d != 0 {
			t.Fatalf("unpaced: a write waits %v", d)
		}
	}

	// The registrar falls behind: writes are paced at half the ceiling, spread out.
	queue = 50 * time.Millisecond
	tick()
	first, second := p.delay(now), p.delay(now)
	if pace() != 200 {
		t.Fatalf("paced at %v/s, want 200/s", pace())
	}
	if first <= 0 || second <= first {
		t.Fatalf("paced writes at one instant wait %v then %v; want each later than the one before", first, second)
	}
	// Still behind: the rate halves at each check, down to the floor and no lower.
	want := []rate.Limit{100, 50, 25, 12.5, 10, 10}
	for i, w := range want {
		tick()
		p.delay(now)
		if got := pace(); got != w {
			t.Fatalf("check %d behind: paced at %v/s, want %v/s", i+1, got, w)
		}
		if shown := promtestutil.ToFloat64(gauge); shown != float64(w) {
			t.Fatalf("check %d behind: the gauge shows %v/s, want %v/s", i+1, shown, w)
		}
	}
	// Between half the threshold and the threshold: held where it is.
	queue = 15 * time.Millisecond
	tick()
	p.delay(now)
	if got := pace(); got != 10 {
		t.Fatalf("queue under the threshold but over half of it: paced at %v/s, want 10/s held", got)
	}

	// The storm passes: the rate grows by half at each check, then pacing ends.
	queue = 0
	checks := 0
	for pace() != 0 {
		tick()
		p.delay(now)
		if checks++; checks > 20 {
			t.Fatalf("still paced at %v/s after %d quick checks", pace(), checks)
		}
	}
	if checks != 10 { // 10 × 1.5^9 ≈ 384 < 400 ≤ 10 × 1.5^10
		t.Errorf("released after %d checks, want 10", checks)
	}
	if shown := promtestutil.ToFloat64(gauge); shown != 0 {
		t.Errorf("released: the gauge shows %v/s, want 0", shown)
	}
	for range 100 {
		if d := p.delay(now); d != 0 {
			t.Fatalf("released: a write waits %v", d)
		}
	}
}

func TestPacerDisabled(t *testing.T) {
	for _, tt := range []struct {
		name  string
		delay func() time.Duration
		opts  PacingOptions
	}{
		{"negative threshold", func() time.Duration { return time.Second }, PacingOptions{QueueDelay: -1}},
		{"no registrar delay to read", nil, PacingOptions{}},
	} {
		p := newPacer(tt.delay, tt.opts, nil)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 50 {
			if d := p.delay(now.Add(time.Duration(i) * pacerCheckEvery)); d != 0 {
				t.Fatalf("%s: a write waits %v", tt.name, d)
			}
		}
	}
}

func TestPacingOptionsDefaults(t *testing.T) {
	got := PacingOptions{}.WithDefaults()
	if got.QueueDelay != defaultPacingQueueDelay || got.Floor != defaultPacingFloor || got.Ceiling != defaultPacingCeiling {
		t.Errorf("defaults: %+v", got)
	}
	if got := (PacingOptions{Floor: 1000}).WithDefaults(); got.Ceiling <= got.Floor {
		t.Errorf("a floor over the default ceiling: ceiling %v not above floor %v", got.Ceiling, got.Floor)
	}
}
