package sipd

import (
	"errors"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The MESSAGE method: body bounds, the sender's binding (message_sender.go), MANSCDP
// decoding (message_manscdp.go), then routing by root element: a Keepalive Notify to
// message_keepalive.go, a MediaStatus Notify to message_mediastatus.go, an Alarm or
// MobilePosition Notify to message_alarm.go, other Notifies answered, a Response to its
// query (message_query_table.go).

// handleMessage serves the MESSAGEs devices send: keepalives and other Notifies, and
// the Responses to the registrar's queries. MESSAGEs are not digest-authenticated in
// GB/T 28181, so only a device with a live binding, sending from the address it
// registered from, is listened to.
func (s *Server) handleMessage(req *sip.Request, src source) {
	now := s.now()
	body := req.Body()
	if len(body) > manscdp.MaxBodySize {
		s.log.Warn("MESSAGE body too large", "source", src.addr.String(), "bytes", len(body))
		s.reply(req, src, 413, "Request Entity Too Large")
		return
	}
	if len(body) == 0 {
		s.reply(req, src, 400, "Missing MANSCDP Body")
		return
	}
	// The sender is the From user; an NVR may speak for its channels in the body.
	deviceID := req.From().Address.User
	if !s.senderBound(req, src, deviceID, now) {
		return
	}
	charset := ""
	if ct := req.ContentType(); ct != nil {
		charset = contentCharset(string(*ct))
	}
	msg, err := s.decodeMANSCDP(src, deviceID, body, charset, now)
	if err != nil {
		s.log.Info("undecodable MESSAGE body", "source", src.addr.String(), "error", err)
		phrase := "Malformed MANSCDP Body"
		if errors.Is(err, manscdp.ErrTooLarge) {
			s.reply(req, src, 413, "Request Entity Too Large")
			return
		}
		s.reply(req, src, 400, phrase)
		return
	}
	switch msg.Root {
	case "Notify":
		switch msg.CmdType {
		case "Keepalive":
			s.keepalive(req, src, deviceID, now)
			return
		case "Alarm", "MobilePosition":
			s.handleDeviceNotify(req, src, deviceID, msg, now)
			return
		}
		// Like a keepalive, a notification is heard only from where the device is
		// registered. Nothing in a Camera's status depends on one, so it signals no
		// change: a flood of forged notifications costs the API path nothing. A
		// MediaStatus that ends a playback the device holds signals its device
		// (message_mediastatus.go).
		if !s.table.boundAt(deviceID, src) {
			s.reply(req, src, 404, "Not Found (Register Again)")
			return
		}
		s.metrics.notifies.Inc()
		s.log.Debug("Notify from device", "device", deviceID, "cmd", msg.CmdType)
		switch msg.CmdType {
		case "MediaStatus":
			s.mediaStatus(req, src, deviceID, msg)
		}
		s.reply(req, src, 200, "OK")
	case "Response":
		// Answer first: the device waits for the 200 before sending the next part.
		s.reply(req, src, 200, "OK")
		key := msg.DeviceID
		if key == "" {
			key = deviceID
		}
		// A part retransmitted over UDP must not be counted twice.
		// The querier hears of the answer from its own call and signals the controllers.
		if !s.queries.deliver(key, deviceID, src.addr.Addr().String(), msg, partID(req)) {
			s.log.Debug("response without a waiting query", "device", deviceID, "cmd", msg.CmdType, "sn", msg.SN)
		}
	default:
		// Queries and controls from a device to the platform have no meaning here.
		s.reply(req, src, 200, "OK")
	}
}

func (s *Server) notRegistered(req *sip.Request, src source, deviceID string) {
	if _, err := s.store.LookupCredentials(deviceID); errors.Is(err, ErrStoreNotReady) {
		rb := s.newResponse(req, src, 503, "Service Unavailable")
		rb.header("Retry-After", s.retryAfter)
		s.finish(rb, src)
		return
	}
	s.log.Debug("MESSAGE from unregistered device", "device", deviceID, "source", src.addr.String())
	s.reply(req, src, 404, "Not Found")
}
