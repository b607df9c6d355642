package sipd

import (
	"errors"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// gbDateLayout is the Date format GB/T 28181 devices set their clocks from: local
// time, no zone, milliseconds.
const gbDateLayout = "2006-01-02T15:04:05.000"

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
		s.replay.record(use, s.bind(req, src, deviceID, creds.Owner, now))
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

// authenticate checks the REGISTER's digest against creds: a fresh, unreplayed nonce of
// ours, sent to where the REGISTER comes from, the right realm and algorithm, the right
// password. Anything short of that is challenged (401) or refused (400, 403), and the
// verdict is not replayOK. A retransmission of an accepted REGISTER is
// replayRetransmission, with what the original was answered.
func (s *Server) authenticate(req *sip.Request, src source, deviceID string, creds Credentials, now time.Time) (nonceUse, replayVerdict, registerAnswer) {
	refused := func() (nonceUse, replayVerdict, registerAnswer) { return nonceUse{}, replayReused, registerAnswer{} }
	authz := headerValue(req, "Authorization")
	if authz == "" {
		s.challenge(req, src, deviceID, now, false)
		return refused()
	}
	a, err := parseAuthorization(authz)
	if err != nil {
		s.log.Debug("malformed Authorization", "device", deviceID, "source", src.addr.String(), "error", err)
		s.refuseRegister(req, src, resBadRequest, 400, "Malformed Authorization")
		return refused()
	}
	alg := parseAlg(a.algorithm)
	if a.realm != s.cfg.Realm || alg == algUnknown || (alg == algSHA256 && !s.cfg.SHA256) {
		// Credentials for another realm or an algorithm not offered: challenge afresh.
		s.challenge(req, src, deviceID, now, false)
		return refused()
	}
	qop := a.qop != ""
	var nc uint32
	if qop {
		var ok bool
		nc, ok = parseNC(a.nc)
		if !strings.EqualFold(a.qop, "auth") || !ok || a.cnonce == "" {
			s.refuseRegister(req, src, resBadRequest, 400, "Malformed Authorization (qop)")
			return refused()
		}
	}
	// Only an answer to a challenge of ours sent to this source goes further: nothing
	// else can count as a failure (register_limiter.go), and whoever did not receive the
	// challenge is simply challenged.
	checked, status := s.nonces.check(a.nonce, deviceID, now)
	if status == nonceInvalid || !s.nonces.sentTo(checked, src) {
		s.challenge(req, src, deviceID, now, false)
		return refused()
	}
	if a.username != deviceID && (creds.Username == "" || a.username != creds.Username) {
		s.refuse(req, src, deviceID, now, failUsername, "Forbidden (Username Mismatch)", "digest username is neither the device ID nor its user name")
		return refused()
	}
	if !digestMatches(alg, &a, creds.Password, string(req.Method)) {
		s.refuse(req, src, deviceID, now, failWrongPassword, "Forbidden (Wrong Password)", "wrong password")
		return refused()
	}
	if status == nonceStale {
		s.challenge(req, src, deviceID, now, true)
		return refused()
	}
	// A copy: a slice of the request's Authorization header, as a key of the replay
	// record, would keep the whole header alive for the nonce's lifetime (0.7 KB a
	// device); Go's maps also take the key of every assignment, not only the first.
	use := nonceUse{nonce: strings.Clone(a.nonce), issuedMs: checked.issuedMs, qop: qop, nc: nc, origin: originOf(req, src), request: s.requestHash(src)}
	verdict, answered := s.replay.check(use, now.UnixMilli(), s.cfg.NonceReuseWindow.Milliseconds())
	switch verdict {
	case replayReused, replayLost:
		s.challenge(req, src, deviceID, now, true)
		return refused()
	case replayRetransmission:
		return use, verdict, answered
	}
	s.limiter.succeed(deviceID, src.addr.Addr())
	s.table.authSucceeded(deviceID)
	return use, replayOK, registerAnswer{}
}

// requestHash hashes the bytes of the request src carries, with the registrar's own
// seed, so that nobody can make two requests collide on purpose.
func (s *Server) requestHash(src source) uint64 {
	return maphash.Bytes(s.hashSeed, src.msg)
}

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
		s.bind(req, src, deviceID, owner, now)
	}
}

// bind applies an authenticated REGISTER: unregister, query, or (re)register with the
// requested lifetime clamped to [MinExpires, MaxExpires]. It returns what it did, for
// retransmissions of the REGISTER.
func (s *Server) bind(req *sip.Request, src source, deviceID, owner string, now time.Time) registerAnswer {
	contact := req.Contact()
	requested, bad := requestedExpires(req, contact)
	switch {
	case bad != "":
		s.refuseRegister(req, src, resBadRequest, 400, bad)
	case requested == 0:
		return s.unbind(req, src, deviceID, now)
	case contact == nil:
		s.answerBindings(req, src, deviceID, now)
	default:
		return s.register(req, src, contact, deviceID, owner, requested, now)
	}
	return registerAnswer{kind: answerUnchanged}
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
func (s *Server) unbind(req *sip.Request, src source, deviceID string, now time.Time) registerAnswer {
	if s.table.unregister(deviceID, now) {
		s.notify(deviceID)
		s.log.Info("device unregistered", "device", deviceID, "source", src.addr.String())
	}
	s.metrics.registration(resUnregistered)
	s.answerUnregistered(req, src, now)
	return registerAnswer{kind: answerUnregistered, dateMs: now.UnixMilli()}
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
func (s *Server) register(req *sip.Request, src source, contact *sip.ContactHeader, deviceID, owner string, requested int64, now time.Time) registerAnswer {
	if requested < 0 {
		requested = int64(s.cfg.DefaultExpires / time.Second)
	}
	if requested < int64(s.cfg.MinExpires/time.Second) {
		s.metrics.registration(resTooBrief)
		rb := s.newResponse(req, src, 423, "Interval Too Brief")
		rb.header("Min-Expires", s.minExpiresText)
		s.finish(rb, src)
		return registerAnswer{kind: answerUnchanged}
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
		s.unavailable(req, src)
		return registerAnswer{kind: answerUnchanged}
	}
	if outcome.refreshed {
		s.metrics.registration(resRefreshed)
	} else {
		s.metrics.registration(resRegistered)
		s.log.Info("device registered", "device", deviceID, "source", b.RemoteAddr, "transport", b.Transport, "expires", granted)
	}
	switch {
	case outcome.quiet:
	case outcome.samePlace:
		s.notifyDetail(deviceID)
	default:
		s.notify(deviceID)
	}
	s.answerRegistered(req, src, contact, granted, now)
	return registerAnswer{kind: answerRegistered, granted: int32(granted), dateMs: now.UnixMilli()}
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

// challenge answers 401 with a fresh nonce bound to deviceID.
func (s *Server) challenge(req *sip.Request, src source, deviceID string, now time.Time, stale bool) {
	if stale {
		s.metrics.registration(resStale)
	} else {
		s.metrics.registration(resChallenged)
	}
	var nb [nonceLen]byte
	nonce := s.nonces.mint(nb[:0], deviceID, src, now)
	rb := s.newResponse(req, src, 401, "Unauthorized")
	qop := !s.cfg.DisableQop
	if s.cfg.SHA256 {
		rb.buf.WriteString("WWW-Authenticate: ")
		rb.buf.Write(appendChallenge(rb.buf.AvailableBuffer(), s.cfg.Realm, nonce, "SHA-256", qop, s.opaque, stale))
		rb.buf.WriteString("\r\n")
	}
	rb.buf.WriteString("WWW-Authenticate: ")
	rb.buf.Write(appendChallenge(rb.buf.AvailableBuffer(), s.cfg.Realm, nonce, "MD5", qop, s.opaque, stale))
	rb.buf.WriteString("\r\n")
	s.finish(rb, src)
}

// refuse answers 403 to a failed authentication and counts it for the limiter.
func (s *Server) refuse(req *sip.Request, src source, deviceID string, now time.Time, reason, phrase, detail string) {
	s.metrics.registration(resForbidden)
	s.metrics.authFailure(reason)
	blocked, untracked := s.limiter.fail(deviceID, src.addr.Addr(), now)
	s.authFailed(deviceID, detail, now)
	s.log.Info("REGISTER authentication failed", "device", deviceID, "source", src.addr.String(), "reason", detail, "nowBlocked", blocked)
	if untracked {
		s.log.Warn("auth failure limiter full; failure not counted", "device", deviceID, "source", src.addr.String())
	}
	s.reply(req, src, 403, phrase)
}

// authFailed records a failure on the device and tells the controllers.
func (s *Server) authFailed(deviceID, reason string, now time.Time) {
	s.table.authFailed(deviceID, reason, now)
	s.notify(deviceID)
}
