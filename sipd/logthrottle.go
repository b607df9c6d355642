package sipd

import (
	"sync"
	"sync/atomic"
	"time"
)

// Some log lines are caused by what a peer sends, so a flood of such packets would be
// a flood of log lines. Those are written at Info at most once a minute through a
// logThrottle, and at Debug otherwise: the operator learns that it happens, and the
// details are there when debugging.

// logThrottle lets a log line through at most once per minute.
type logThrottle struct {
	lastMs atomic.Int64
}

func (l *logThrottle) allow(now time.Time) bool {
	nowMs, last := now.UnixMilli(), l.lastMs.Load()
	return nowMs-last >= time.Minute.Milliseconds() && l.lastMs.CompareAndSwap(last, nowMs)
}

// infoOrDebug returns s.log.Info when l lets a line through, else s.log.Debug.
func (s *Server) infoOrDebug(l *logThrottle, now time.Time) func(msg string, args ...any) {
	if l.allow(now) {
		return s.log.Info
	}
	return s.log.Debug
}

// warnOrDebug returns s.log.Warn when l lets a line through, else s.log.Debug.
func (s *Server) warnOrDebug(l *logThrottle, now time.Time) func(msg string, args ...any) {
	if l.allow(now) {
		return s.log.Warn
	}
	return s.log.Debug
}

// lineBudget lets through at most perSecond lines a second, in bursts of up to burst,
// and counts the ones it held back since the last it let through. It serves the lines
// of events that are normal but can come in storms, such as new registrations when a
// fleet comes back: each is worth a line, ten thousand a second are not.
type lineBudget struct {
	mu        sync.Mutex
	perSecond float64
	burst     float64
	tokens    float64
	last      time.Time
	heldBack  int
}

// newLineBudget returns a budget that starts full.
func newLineBudget(perSecond, burst float64) *lineBudget {
	return &lineBudget{perSecond: perSecond, burst: burst, tokens: burst}
}

// take reports whether a line may be written now, and how many were held back since
// the last one was.
func (b *lineBudget) take(now time.Time) (ok bool, heldBack int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.perSecond)
	}
	b.last = now
	if b.tokens < 1 {
		b.heldBack++
		return false, 0
	}
	b.tokens--
	heldBack, b.heldBack = b.heldBack, 0
	return true, heldBack
}
