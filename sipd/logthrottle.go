package sipd

import (
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
