package sipd

import (
	"context"
	"time"
)

// The sweeper: every SweepInterval it removes the registrations that ran out and
// signals the watched devices that fell silent (binding_silence.go), each through the
// Notifier.

// sweep expires bindings, and signals the devices whose silence is watched and overdue,
// every SweepInterval until ctx ends.
func (s *Server) sweep(ctx context.Context) {
	tick := time.NewTicker(s.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now := s.now()
			if ids := s.table.expire(now); len(ids) > 0 {
				for _, id := range ids {
					s.notify(id)
				}
				s.log.Info("registrations expired", "count", len(ids))
			}
			if ids := s.table.silent(now); len(ids) > 0 {
				for _, id := range ids {
					s.notify(id)
				}
				s.log.Debug("devices silent past their keepalive timeout", "count", len(ids))
			}
		}
	}
}
