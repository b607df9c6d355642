package sipd

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Now()
	ip := netip.MustParseAddr("192.0.2.1")
	l := newLimiter(3, time.Minute, 5*time.Minute, 4)
	for i := 0; i < 2; i++ {
		if b, _ := l.fail("dev", ip, now); b {
			t.Fatalf("blocked after %d failures", i+1)
		}
	}
	if l.blocked("dev", ip, now) {
		t.Fatal("blocked too early")
	}
	if b, _ := l.fail("dev", ip, now); !b {
		t.Fatal("not blocked at the limit")
	}
	if l.blocked("dev", netip.MustParseAddr("192.0.2.2"), now) || l.blocked("other", ip, now) {
		t.Error("block must apply only to the device at that source")
	}
	if l.blocked("dev", ip, now.Add(6*time.Minute)) {
		t.Error("cool-down did not end")
	}
	// Bounded: a flood of new sources is not tracked past the limit.
	for i := 0; i < 10; i++ {
		l.fail("dev", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), now)
	}
	if n := l.size(); n > 4 {
		t.Errorf("limiter holds %d pairs, bound 4", n)
	}
}
