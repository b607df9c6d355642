package sipd

import (
	"testing"
	"time"
)

func TestLogThrottleOncePerMinute(t *testing.T) {
	var l logThrottle
	t0 := time.Now()
	steps := []struct {
		after time.Duration
		want  bool
	}{{0, true}, {time.Second, false}, {59 * time.Second, false}, {61 * time.Second, true}, {90 * time.Second, false}}
	for _, s := range steps {
		if got := l.allow(t0.Add(s.after)); got != s.want {
			t.Errorf("at +%v: allow %v, want %v", s.after, got, s.want)
		}
	}
}

// TestLineBudget: a full budget lets a burst through, then perSecond lines a second;
// the first line after a held-back stretch says how many were held back.
func TestLineBudget(t *testing.T) {
	b := newLineBudget(10, 5)
	now := time.Unix(1000, 0)
	for i := range 5 {
		if ok, held := b.take(now); !ok || held != 0 {
			t.Fatalf("line %d of the burst: %v, %d held back", i, ok, held)
		}
	}
	for i := range 7 {
		if ok, _ := b.take(now); ok {
			t.Fatalf("line %d past the burst let through", i)
		}
	}
	now = now.Add(100 * time.Millisecond) // one token at 10 a second
	if ok, held := b.take(now); !ok || held != 7 {
		t.Fatalf("after 100ms: %v, %d held back; want through, 7", ok, held)
	}
	if ok, _ := b.take(now); ok {
		t.Fatal("a second line in the same 100ms")
	}
	now = now.Add(time.Hour)
	n := 0
	for {
		if ok, _ := b.take(now); !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Errorf("after an hour %d lines in a row, want the burst of 5", n)
	}
}
