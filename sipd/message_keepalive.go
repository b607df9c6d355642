package sipd

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// Keepalives: a Notify of CmdType Keepalive from a registered device, recorded in the
// binding table (binding_table.go, binding_natrebind.go) and signalled to the Notifier
// unless quiet.

// keepalive records a keepalive of a registered device. Without a binding the device
// gets 404 and registers again, unless the registrar is still starting (credential
// store not ready, bindings not seeded yet): then 503, so that a restart does not make
// every device re-register at once. From another address or port than its
// registration, while the device is alive there, it gets 404 too (binding_natrebind.go).
func (s *Server) keepalive(req *sip.Request, src source, deviceID string, now time.Time) {
	result, notify := s.table.keepalive(deviceID, src, now, 3*s.cfg.KeepaliveInterval)
	switch result {
	case keepaliveRecorded:
		s.metrics.keepalives.Inc()
		if notify {
			s.notifyDetail(deviceID)
		}
		s.reply(req, src, 200, "OK")
	case keepaliveElsewhere:
		s.infoOrDebug(&s.movedLog, now)("keepalive from another address than the registration", "device", deviceID, "source", src.addr.String())
		s.reply(req, src, 404, "Not Found (Register Again)")
	default:
		s.notRegistered(req, src, deviceID)
	}
}
