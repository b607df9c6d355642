package sipd

import (
	"net/netip"
	"sync"
	"time"
)

// limiter stops password guessing: maxFailures failed REGISTERs for one device from one
// source address within window block that pair for cooldown, during which its
// REGISTERs are refused with 403 before any digest is computed.
//
// The key is the pair, never the device or the address alone, because either alone
// lets one party lock out another: many devices share one NAT address, so counting per
// address lets one misconfigured (or hostile) device lock out its neighbours; and UDP
// source addresses are forged for free, so counting per device lets anyone lock a
// device out at its real address by sending it wrong digests from elsewhere. With the
// pair, a guesser pays a cool-down every maxFailures guesses per address it uses. A
// per-address budget on distinct devices was left out on purpose: any block on an
// address also refuses the correct devices behind it, which is the lockout this design
// removes; the remaining defence against guessing from many addresses is the password
// strength, and the failures reported on the device.
//
// The table is bounded by maxEntries: when full, entries neither blocked nor inside
// their window are swept; if that frees nothing the new pair goes uncounted (logged by
// the caller), which keeps memory fixed under an address-spraying flood while blocks
// already in place stay.
type limiter struct {
	mu          sync.Mutex
	maxFailures int
	window      time.Duration
	cooldown    time.Duration
	maxEntries  int
	pairs       map[limitKey]*limitEntry
	// lastSweep rate-limits sweeping a full table, which costs a pass over it.
	lastSweep time.Time
}

// limitKey is one device at one source address.
type limitKey struct {
	deviceID string
	src      netip.Addr
}

type limitEntry struct {
	count        int
	windowStart  time.Time
	blockedUntil time.Time
}

func newLimiter(maxFailures int, window, cooldown time.Duration, maxEntries int) *limiter {
	return &limiter{
		maxFailures: maxFailures,
		window:      window,
		cooldown:    cooldown,
		maxEntries:  maxEntries,
		pairs:       make(map[limitKey]*limitEntry),
	}
}

// blocked reports whether deviceID is in its cool-down at src.
func (l *limiter) blocked(deviceID string, src netip.Addr, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pairs) == 0 {
		return false
	}
	e := l.pairs[limitKey{deviceID: deviceID, src: src}]
	return e != nil && now.Before(e.blockedUntil)
}

// fail counts one failure of deviceID at src; it reports whether the pair became
// blocked and whether it could not be counted because the table is full.
func (l *limiter) fail(deviceID string, src netip.Addr, now time.Time) (blocked, untracked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := limitKey{deviceID: deviceID, src: src}
	e := l.pairs[key]
	if e == nil {
		if len(l.pairs) >= l.maxEntries {
			if now.Sub(l.lastSweep) >= time.Second {
				l.lastSweep = now
				l.sweep(now)
			}
			if len(l.pairs) >= l.maxEntries {
				return false, true
			}
		}
		e = &limitEntry{windowStart: now}
		l.pairs[key] = e
	}
	if now.Sub(e.windowStart) > l.window {
		e.count, e.windowStart = 0, now
	}
	e.count++
	if e.count >= l.maxFailures {
		e.blockedUntil = now.Add(l.cooldown)
		e.count, e.windowStart = 0, now
		return true, false
	}
	return false, false
}

// sweep drops the entries neither blocked nor inside their window; mu must be held.
func (l *limiter) sweep(now time.Time) {
	for k, e := range l.pairs {
		if now.After(e.blockedUntil) && now.Sub(e.windowStart) > l.window {
			delete(l.pairs, k)
		}
	}
}

// succeed forgets the failures of deviceID at src after a correct password.
func (l *limiter) succeed(deviceID string, src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pairs) > 0 {
		delete(l.pairs, limitKey{deviceID: deviceID, src: src})
	}
}

// size is the number of tracked pairs.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pairs)
}
