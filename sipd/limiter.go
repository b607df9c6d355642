package sipd

import (
	"net/netip"
	"sync"
	"time"
)

// limiter stops password guessing: more than max failures for one device ID or one
// source address within window block that key for cooldown, during which REGISTERs are
// refused with 403 before any digest is computed. Both tables are bounded: when one is
// full, entries neither blocked nor inside their window are swept; if that frees
// nothing the new key goes uncounted (logged by the caller), which keeps memory fixed
// under an address-spraying flood while blocks already in place stay.
type limiter struct {
	mu       sync.Mutex
	max      int
	window   time.Duration
	cooldown time.Duration
	limit    int
	devices  map[string]*limitEntry
	sources  map[netip.Addr]*limitEntry
	// lastSweep rate-limits sweeping a full table, which costs a pass over it.
	lastSweep time.Time
}

type limitEntry struct {
	count        int
	windowStart  time.Time
	blockedUntil time.Time
}

func newLimiter(maxFailures int, window, cooldown time.Duration, maxEntries int) *limiter {
	return &limiter{
		max:      maxFailures,
		window:   window,
		cooldown: cooldown,
		limit:    maxEntries,
		devices:  make(map[string]*limitEntry),
		sources:  make(map[netip.Addr]*limitEntry),
	}
}

// blocked reports whether deviceID or src is in its cool-down.
func (l *limiter) blocked(deviceID string, src netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.devices) == 0 && len(l.sources) == 0 {
		return false
	}
	if e := l.devices[deviceID]; e != nil && now.Before(e.blockedUntil) {
		return true
	}
	if e := l.sources[src]; e != nil && now.Before(e.blockedUntil) {
		return true
	}
	return false
}

// fail counts one failure; it reports whether a key became blocked and whether a key
// could not be counted because its table is full.
func (l *limiter) fail(deviceID string, src netip.Addr, now time.Time) (blocked, untracked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b1, ok1 := failIn(l, l.devices, deviceID, now)
	b2, ok2 := failIn(l, l.sources, src, now)
	return b1 || b2, !ok1 || !ok2
}

func failIn[K comparable](l *limiter, m map[K]*limitEntry, key K, now time.Time) (blocked, ok bool) {
	e := m[key]
	if e == nil {
		if len(m) >= l.limit {
			if now.Sub(l.lastSweep) >= time.Second {
				l.lastSweep = now
				sweepEntries(l, m, now)
			}
			if len(m) >= l.limit {
				return false, false
			}
		}
		e = &limitEntry{windowStart: now}
		m[key] = e
	}
	if now.Sub(e.windowStart) > l.window {
		e.count, e.windowStart = 0, now
	}
	e.count++
	if e.count >= l.max {
		e.blockedUntil = now.Add(l.cooldown)
		e.count, e.windowStart = 0, now
		return true, true
	}
	return false, true
}

func sweepEntries[K comparable](l *limiter, m map[K]*limitEntry, now time.Time) {
	for k, e := range m {
		if now.After(e.blockedUntil) && now.Sub(e.windowStart) > l.window {
			delete(m, k)
		}
	}
}

// succeed forgets the failures of deviceID after a correct password. The source's
// count stays: one address may host many devices, and an attacker among them.
func (l *limiter) succeed(deviceID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.devices) > 0 {
		delete(l.devices, deviceID)
	}
}

// size is the number of tracked keys.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.devices) + len(l.sources)
}
