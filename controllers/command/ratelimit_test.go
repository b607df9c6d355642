package command

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// TestCameraBuckets: a Camera gets its burst at once, then CommandsPerSecond; the wait
// is said, not slept; one Camera's bucket does not touch another's.
func TestCameraBuckets(t *testing.T) {
	b := newCameraBuckets(5, 10)
	for i := range 10 {
		if wait := b.take("a", t0); wait != 0 {
			t.Fatalf("take %d of the burst: wait %v", i+1, wait)
		}
	}
	if wait := b.take("a", t0); wait != 200*time.Millisecond {
		t.Errorf("past the burst: wait %v, want 200ms (one token at 5/s)", wait)
	}
	if wait := b.take("b", t0); wait != 0 {
		t.Errorf("another Camera waits %v", wait)
	}
	if wait := b.take("a", t0.Add(100*time.Millisecond)); wait != 100*time.Millisecond {
		t.Errorf("half a token later: wait %v, want 100ms", wait)
	}
	if wait := b.take("a", t0.Add(200*time.Millisecond)); wait != 0 {
		t.Errorf("a token later: wait %v", wait)
	}
	if wait := b.take("a", t0.Add(200*time.Millisecond)); wait == 0 {
		t.Error("a second command in the same instant went without a token")
	}
	// Over a minute, the bucket lets through the burst and 5 a second, no more.
	b = newCameraBuckets(5, 10)
	sent := 0
	for ms := 0; ms < 60_000; ms += 10 {
		if b.take("c", t0.Add(time.Duration(ms)*time.Millisecond)) == 0 {
			sent++
		}
	}
	if sent < 309 || sent > 311 {
		t.Errorf("sent %d commands in a minute, want 10 + 5*60 = 310", sent)
	}
}

// TestCameraBucketsBounded: the buckets kept are those of Cameras commanded within the
// refill time (burst/rate), however many Cameras were ever commanded.
func TestCameraBucketsBounded(t *testing.T) {
	b := newCameraBuckets(5, 10) // full again 2s after the last command
	now := t0
	for i := range 100_000 {
		now = now.Add(time.Millisecond) // 1,000 Cameras a second, each once
		b.take(types.UID(fmt.Sprint(i)), now)
	}
	// 2s of Cameras are not full yet (2,000), twice over at most before a sweep.
	if n := b.size(); n > 4*2000+minSweepSize {
		t.Errorf("%d buckets kept after 100,000 Cameras, want at most %d", n, 4*2000+minSweepSize)
	}
	t.Logf("buckets kept after 100,000 Cameras at 1,000/s: %d", b.size())
}

// TestInFlight: slots are taken up to the bound, then refused until one is released.
func TestInFlight(t *testing.T) {
	f := newInFlight(2)
	for i := range 2 {
		if !f.tryAcquire() {
			t.Fatalf("slot %d of 2 refused", i+1)
		}
	}
	if f.tryAcquire() {
		t.Fatal("a third slot was given at a bound of 2")
	}
	f.release()
	if !f.tryAcquire() || f.busy() != 2 {
		t.Errorf("after a release: busy %d", f.busy())
	}
}
