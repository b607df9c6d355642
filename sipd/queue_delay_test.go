package sipd

import (
	"testing"
	"time"
)

func TestQueueDelayGauge(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g queueDelayGauge
	if d := g.delay(t0); d != 0 {
		t.Fatalf("nothing recorded: delay %v, want 0", d)
	}
	g.record(80*time.Millisecond, t0)
	tests := []struct {
		name string
		at   time.Time
		want time.Duration
	}{
		{"just recorded", t0, 80 * time.Millisecond},
		{"still fresh", t0.Add(queueDelayFresh), 80 * time.Millisecond},
		{"no datagram handled for longer: the queue is idle", t0.Add(queueDelayFresh + time.Millisecond), 0},
	}
	for _, tt := range tests {
		if got := g.delay(tt.at); got != tt.want {
			t.Errorf("%s: delay %v, want %v", tt.name, got, tt.want)
		}
	}
	g.record(2*time.Millisecond, t0.Add(5*time.Second))
	if got := g.delay(t0.Add(5 * time.Second)); got != 2*time.Millisecond {
		t.Errorf("after a newer datagram: delay %v, want 2ms", got)
	}
}
