package sipd

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Applying an authenticated REGISTER (RFC 3261 §10.3 steps 6 to 8): unregister,
// query the bindings, or (re)register for a lifetime within [MinExpires, MaxExpires],
// and the 200 answers with GB/T 28181's Date header. A retransmission is answered from
// what the original was answered (register_replay.go), without applying it again.

// registrationLogRate and registrationLogBurst bound the Info lines of new
// registrations: every one of a few devices, a sample of a fleet re-registering at
// thousands a second (each line costs microseconds of the SIP path's CPU). Each line
// says how many went unlogged before it; sipd_registrations_total counts them all, and
// Debug has every one.
const (
	registrationLogRate  = 20
	registrationLogBurst = 200
)

// gbDateLayout is the Date format GB/T 28181 devices set their clocks from: local
// time, no zone, milliseconds.
const gbDateLayout = "2006-01-02T15:04:05.000"

// answerAgain answers a retransmission of an accepted REGISTER as the original was
// answered, without applying it again: between the two, the device may have
// registered anew or unregistered, and a retransmission must not undo that.
func (s *Server) answerAgain(req *sip.Request, src source, deviceID, owner string, a registerAnswer, now time.Time) {
	date := time.UnixMilli(a.dateMs)
	switch a.kind {
	case answerPending:
		// The original is being handled; its answer is on its way.
	case answerRegistered:
		if contact := req.Contact(); contact != nil {
			s.answerRegistered(req, src, contact, int64(a.granted), date)
		}
	case answerUnregistered:
		s.answerUnregistered(req, src, date)
	case answerUnchanged:
		s.bind(req, src, deviceID, owner, now, func(registerAnswer) {})
	}
}

// bind applies an authenticated REGISTER: unregister, query, or (re)register with the
// requested lifetime clamped to [MinExpires, MaxExpires]. Before the answer leaves it
// tells record what it did, for retransmissions of the REGISTER: a device that
// retransmits the moment its answer arrives must find it recorded.
func (s *Server) bind(req *sip.Request, src source, deviceID, owner string, now time.Time, record func(registerAnswer)) {
	contact := req.Contact()
	requested, bad := requestedExpires(req, contact)
	switch {
	case bad != "":
		record(registerAnswer{kind: answerUnchanged})
		s.refuseRegister(req, src, resBadRequest, 400, bad)
	case requested == 0:
		s.unbind(req, src, deviceID, now, record)
	case contact == nil:
		record(registerAnswer{kind: answerUnchanged})
		s.answerBindings(req, src, deviceID, now)
	default:
		s.register(req, src, contact, deviceID, owner, requested, now, record)
	}
}

// requestedExpires is the lifetime a REGISTER asks for, from the Contact's expires
// parameter or else the Expires header (-1: none asked), or the reason phrase of the
// 400 a malformed one gets.
func requestedExpires(req *sip.Request, contact *sip.ContactHeader) (int64, string) {
	requested := int64(-1)
	if v := headerValue(req, "Expires"); v != "" {
		n, ok := parseSeconds(v)
		if !ok {
			return 0, "Malformed Expires"
		}
		requested = n
	}
	if contact == nil {
		return requested, ""
	}
	if contact.Address.Wildcard {
		if requested != 0 {
			return 0, "Wildcard Contact Without Expires 0"
		}
		return 0, ""
	}
	if v, ok := paramValue(contact.Params, "expires"); ok {
		n, ok := parseSeconds(v)
		if !ok {
			return 0, "Malformed Contact Expires"
		}
		requested = n
	}
	return requested, ""
}

// unbind ends the device's registration (Expires: 0).
func (s *Server) unbind(req *sip.Request, src source, deviceID string, now time.Time, record func(registerAnswer)) {
	if s.table.unregister(deviceID, now) {
		s.notify(deviceID)
		s.log.Info("device unregistered", "device", deviceID, "source", src.addr.String())
	}
	s.metrics.registration(resUnregistered)
	record(registerAnswer{kind: answerUnregistered, dateMs: now.UnixMilli()})
	s.answerUnregistered(req, src, now)
}

// answerUnregistered answers 200 to an unregistration: Date and Expires: 0.
func (s *Server) answerUnregistered(req *sip.Request, src source, date time.Time) {
	rb := s.newResponse(req, src, 200, "OK")
	s.writeDate(rb, date)
	rb.header("Expires", "0")
	s.finish(rb, src)
}

// answerBindings answers a REGISTER without Contact: a query of the current bindings
// (RFC 3261 §10.2.3).
func (s *Server) answerBindings(req *sip.Request, src source, deviceID string, now time.Time) {
	rb := s.newResponse(req, src, 200, "OK")
	s.writeDate(rb, now)
	if b, ok := s.table.lookup(deviceID); ok {
		left := max(int(b.ExpiresAt.Sub(now)/time.Second), 0)
		rb.buf.WriteString("Contact: <" + b.Contact + ">;expires=" + strconv.Itoa(left) + "\r\n")
	}
	s.finish(rb, src)
}

// register records the device's (re)registration for the granted lifetime and
// answers 200 with the GB Date header.
func (s *Server) register(req *sip.Request, src source, contact *sip.ContactHeader, deviceID, owner string, requested int64, now time.Time, record func(registerAnswer)) {
	if requested < 0 {
		requested = int64(s.cfg.DefaultExpires / time.Second)
	}
	if requested < int64(s.cfg.MinExpires/time.Second) {
		s.metrics.registration(resTooBrief)
		record(registerAnswer{kind: answerUnchanged})
		rb := s.newResponse(req, src, 423, "Interval Too Brief")
		rb.header("Min-Expires", s.minExpiresText)
		s.finish(rb, src)
		return
	}
	granted := min(requested, int64(s.cfg.MaxExpires/time.Second))
	lifetime := time.Duration(granted) * time.Second
	b := Binding{
		DeviceID:     deviceID,
		Owner:        owner,
		Transport:    src.transport,
		RemoteAddr:   src.addr.String(),
		Contact:      contact.Address.String(),
		UserAgent:    headerValue(req, "User-Agent"),
		CallID:       string(*req.CallID()),
		RegisteredAt: now,
		ExpiresAt:    now.Add(lifetime),
		Expires:      lifetime,
	}
	outcome, err := s.table.register(b)
	if err != nil {
		s.log.Error("cannot record registration", "device", deviceID, "error", err)
		record(registerAnswer{kind: answerUnchanged})
		s.unavailable(req, src)
		return
	}
	if outcome.refreshed {
		s.metrics.registration(resRefreshed)
	} else {
		s.metrics.registration(resRegistered)
		if ok, heldBack := s.registeredLog.take(now); ok {
			s.log.Info("device registered", "device", deviceID, "source", b.RemoteAddr, "transport", b.Transport, "expires", granted, "unloggedBefore", heldBack)
		} else {
			s.log.Debug("device registered", "device", deviceID, "source", b.RemoteAddr, "transport", b.Transport, "expires", granted)
		}
	}
	switch {
	case outcome.quiet:
	case outcome.samePlace:
		s.notifyDetail(deviceID)
	default:
		s.notify(deviceID)
	}
	record(registerAnswer{kind: answerRegistered, granted: int32(granted), dateMs: now.UnixMilli()})
	s.answerRegistered(req, src, contact, granted, now)
}

// answerRegistered answers 200 to a registration: Date, Expires, and the Contact with
// its granted expires.
func (s *Server) answerRegistered(req *sip.Request, src source, contact *sip.ContactHeader, granted int64, now time.Time) {
	rb := s.newResponse(req, src, 200, "OK")
	s.writeDate(rb, now)
	rb.headerInt("Expires", int(granted))
	buf := rb.buf
	buf.WriteString("Contact: <")
	writeURI(buf, &contact.Address)
	buf.WriteByte('>')
	for _, kv := range contact.Params {
		k := strings.TrimSpace(kv.K)
		if strings.EqualFold(k, "expires") {
			continue
		}
		buf.WriteByte(';')
		buf.WriteString(k)
		if kv.V != "" {
			buf.WriteByte('=')
			buf.WriteString(kv.V)
		}
	}
	buf.WriteString(";expires=")
	buf.Write(strconv.AppendInt(buf.AvailableBuffer(), granted, 10))
	buf.WriteString("\r\n")
	s.finish(rb, src)
}

// writeDate writes the GB Date header in the configured zone.
func (s *Server) writeDate(rb respBuilder, now time.Time) {
	rb.buf.WriteString("Date: ")
	rb.buf.Write(now.In(s.cfg.Location).AppendFormat(rb.buf.AvailableBuffer(), gbDateLayout))
	rb.buf.WriteString("\r\n")
}
