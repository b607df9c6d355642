package command

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// cameraBuckets is a token bucket per Camera: CommandsPerSecond tokens a second, at
// most CommandBurst kept. A command takes one before it is sent; without one it waits.
// A bucket that has refilled to the brim is the same as none, so such buckets are
// dropped whenever the map has doubled since the last sweep: the map holds only the
// Cameras commanded within the last CommandBurst/CommandsPerSecond seconds (2 s by
// default), twice over at most.
type cameraBuckets struct {
	mu        sync.Mutex
	perSecond float64
	burst     float64
	m         map[types.UID]bucket
	sweepAt   int // sweep when the map reaches this size
}

// bucket is a Camera's tokens at a moment.
type bucket struct {
	tokens float64
	at     time.Time
}

// minSweepSize is the map size below which buckets are never swept.
const minSweepSize = 64

func newCameraBuckets(perSecond float64, burst int) *cameraBuckets {
	return &cameraBuckets{perSecond: perSecond, burst: float64(burst), m: make(map[types.UID]bucket), sweepAt: minSweepSize}
}

// take takes one of camera's tokens at now and returns 0, or returns how long until
// one is there, taking none.
func (b *cameraBuckets) take(camera types.UID, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.m[camera]
	if !ok {
		bk = bucket{tokens: b.burst, at: now}
	}
	bk = b.refill(bk, now)
	if bk.tokens < 1 {
		return time.Duration((1 - bk.tokens) / b.perSecond * float64(time.Second))
	}
	bk.tokens--
	b.m[camera] = bk
	if len(b.m) >= b.sweepAt {
		b.sweep(now)
	}
	return 0
}

func (b *cameraBuckets) refill(bk bucket, now time.Time) bucket {
	if elapsed := now.Sub(bk.at).Seconds(); elapsed > 0 {
		bk.tokens = min(b.burst, bk.tokens+elapsed*b.perSecond)
		bk.at = now
	}
	return bk
}

// sweep drops the buckets that are full again.
func (b *cameraBuckets) sweep(now time.Time) {
	for uid, bk := range b.m {
		if b.refill(bk, now).tokens >= b.burst {
			delete(b.m, uid)
		}
	}
	b.sweepAt = max(2*len(b.m), minSweepSize)
}

// size is the number of buckets kept.
func (b *cameraBuckets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}
