package sipd

import (
	"hash/maphash"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Authenticating a REGISTER (RFC 3261 §22, RFC 2617/7616 digest): a fresh, unreplayed
// nonce of ours sent to where the REGISTER comes from, the right realm, algorithm, user
// name and password. Failures count toward the limiter only against such a nonce; the
// rest is challenged (401) afresh.

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
