package sipd

import (
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"
)

// handleRegister follows RFC 3261 §10.3: identify the device, authenticate it, and
// only then look at what it asks (Contact, Expires). A refresh is authenticated like a
// first registration. Each step answers the REGISTER itself when it refuses it.
func (s *Server) handleRegister(req *sip.Request, src source, now time.Time) {
	deviceID, creds, ok := s.identify(req, src, now)
	if !ok {
		return
	}
	use, verdict, answered := s.authenticate(req, src, deviceID, creds, now)
	switch verdict {
	case replayOK:
		s.bind(req, src, deviceID, creds.Owner, now, func(a registerAnswer) { s.replay.record(use, a) })
	case replayRetransmission:
		s.answerAgain(req, src, deviceID, creds.Owner, answered, now)
	}
}

// refuseRegister answers a REGISTER that goes no further, counting it under result.
func (s *Server) refuseRegister(req *sip.Request, src source, result string, code int, phrase string) {
	s.metrics.registration(result)
	s.reply(req, src, code, phrase)
}

// unavailable answers 503 with Retry-After: the registrar cannot serve the REGISTER now.
func (s *Server) unavailable(req *sip.Request, src source) {
	s.metrics.registration(resUnavailable)
	rb := s.newResponse(req, src, 503, "Service Unavailable")
	rb.header("Retry-After", s.retryAfter)
	s.finish(rb, src)
}

// identify finds the device a REGISTER is for and its credentials: not in a cool-down,
// known, with a usable password, not suspended.
func (s *Server) identify(req *sip.Request, src source, now time.Time) (string, Credentials, bool) {
	deviceID := req.To().Address.User
	if deviceID == "" {
		deviceID = req.From().Address.User
	}
	if deviceID == "" || len(deviceID) > 64 {
		s.refuseRegister(req, src, resBadRequest, 400, "Missing Device ID In To")
		return "", Credentials{}, false
	}
	// The device refreshing from where it is registered is never held back: failures
	// counted at its address (a neighbour behind the same NAT) are not its own.
	if s.limiter.blocked(deviceID, src.addr.Addr(), now) && !s.table.boundAt(deviceID, src) {
		s.metrics.authFailure(failBlocked)
		s.log.Debug("REGISTER refused during cool-down", "device", deviceID, "source", src.addr.String())
		s.refuseRegister(req, src, resForbidden, 403, "Forbidden (Too Many Failures)")
		return "", Credentials{}, false
	}
	creds, err := s.store.LookupCredentials(deviceID)
	switch {
	case err == nil:
	case errors.Is(err, ErrStoreNotReady):
		s.unavailable(req, src)
		return "", Credentials{}, false
	case errors.Is(err, ErrUnknownDevice):
		s.log.Debug("REGISTER from unknown device", "device", deviceID, "source", src.addr.String())
		s.refuseRegister(req, src, resNotFound, 404, "Not Found")
		return "", Credentials{}, false
	case errors.Is(err, ErrNoCredentials):
		s.metrics.authFailure(failNoCredentials)
		s.authFailed(deviceID, "device has no usable credentials", now)
		s.refuseRegister(req, src, resForbidden, 403, "Forbidden (No Credentials)")
		return "", Credentials{}, false
	default:
		s.log.Error("credential lookup failed", "device", deviceID, "error", err)
		s.refuseRegister(req, src, resUnavailable, 500, "Server Internal Error")
		return "", Credentials{}, false
	}
	if creds.Suspended {
		s.metrics.authFailure(failSuspended)
		s.table.authFailed(deviceID, "device suspended", now)
		s.refuseRegister(req, src, resForbidden, 403, "Forbidden (Suspended)")
		return "", Credentials{}, false
	}
	return deviceID, creds, true
}
