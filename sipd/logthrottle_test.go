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
