package sipd

import (
	"time"

	"github.com/emiago/sipgo/sip"
)

// MESSAGEs are not authenticated in GB/T 28181: the registrar listens only to a device
// with a live binding, sending from the address it registered from. That check costs a
// map lookup, while decoding a MANSCDP body costs up to a millisecond and megabytes for
// 64 KB of XML, so it is done first, on the From user, and a stranger's body is never
// decoded. An NVR speaking for its channels names itself in From and a channel in the
// body, so checking From keeps it working.

// senderBound reports whether deviceID, the From user of req, has a live binding from
// src's address. When not, it has answered: 400 without a From user, 404 when the device
// is not registered or registered from elsewhere (it registers again from where it is),
// 503 while the registrar is starting.
func (s *Server) senderBound(req *sip.Request, src source, deviceID string, now time.Time) bool {
	if deviceID == "" {
		s.log.Debug("MESSAGE without a From user", "source", src.addr.String())
		s.reply(req, src, 400, "Missing Device ID In From")
		return false
	}
	b, ok := s.table.lookup(deviceID)
	if !ok || !now.Before(b.ExpiresAt) {
		s.notRegistered(req, src, deviceID)
		return false
	}
	if b.RemoteAddr != "" && !sameHost(b.RemoteAddr, src.addr.Addr().String()) {
		s.infoOrDebug(&s.movedLog, now)("MESSAGE from another address than the registration", "device", deviceID, "source", src.addr.String(), "registered", b.RemoteAddr)
		s.reply(req, src, 404, "Not Found (Register Again)")
		return false
	}
	return true
}
