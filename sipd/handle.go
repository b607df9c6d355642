package sipd

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// handle processes one framed message from src. It is the single entry point of
// outside traffic, so it must never panic on input and never block on anything but
// the answer's write.
func (s *Server) handle(data []byte, src source) {
	defer s.recoverMessage(src)
	data = trimLeadingCRLF(data)
	msg, err := s.parser.ParseSIP(data)
	if err != nil {
		s.metrics.dropped.Inc()
		// A request whose header section parsed still gets a 400 naming the problem.
		if req, ok := asRequest(msg); ok && req.Via() != nil && req.CallID() != nil && req.CSeq() != nil && req.From() != nil && req.To() != nil {
			s.reply(req, src, 400, "Bad Request ("+firstLine(err.Error())+")")
		}
		if s.log.Enabled(context.Background(), slog.LevelDebug) {
			s.log.Debug("dropping unparseable SIP message", "source", src.addr.String(), "transport", src.transport, "error", err)
		}
		return
	}
	switch m := msg.(type) {
	case *sip.Request:
		if src.transport == "UDP" {
			src.datagram = data
		}
		src.msg = data
		s.handleRequest(m, src)
	case *sip.Response:
		s.routeResponse(m, src)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func (s *Server) handleRequest(req *sip.Request, src source) {
	start := time.Now()
	if req.Via() == nil {
		s.metrics.dropped.Inc()
		s.log.Debug("dropping request without Via", "source", src.addr.String())
		return
	}
	if !isSIP2(req) {
		s.log.Debug("unsupported SIP version", "source", src.addr.String(), "version", req.SipVersion)
		s.reply(req, src, 505, "Version Not Supported")
		return
	}
	if reason := checkMandatory(req); reason != "" {
		s.log.Debug("bad request", "source", src.addr.String(), "reason", reason)
		if req.Method == sip.REGISTER {
			s.metrics.registration(resBadRequest)
		}
		s.reply(req, src, 400, reason)
		return
	}
	method := "other"
	switch req.Method {
	case sip.REGISTER:
		method = "REGISTER"
		s.handleRegister(req, src, s.now())
	case sip.MESSAGE:
		method = "MESSAGE"
		s.handleMessage(req, src)
	case sip.OPTIONS:
		method = "OPTIONS"
		rb := s.newResponse(req, src, 200, "OK")
		rb.header("Allow", s.allowHeader)
		s.finish(rb, src)
	case sip.ACK:
		// Nothing to do: the registrar sends no INVITE answers.
	case sip.BYE:
		s.handleBye(req, src)
	default:
		rb := s.newResponse(req, src, 405, "Method Not Allowed")
		rb.header("Allow", s.allowHeader)
		s.finish(rb, src)
	}
	s.metrics.latency[method].Observe(time.Since(start).Seconds())
}

// checkMandatory returns the reason phrase of a 400 when the request lacks a mandatory
// header (RFC 3261 §8.1.1) or its CSeq names another method, "" when it is fine.
func checkMandatory(req *sip.Request) string {
	switch {
	case req.From() == nil:
		return "Missing From"
	case req.To() == nil:
		return "Missing To"
	case req.CallID() == nil:
		return "Missing Call-ID"
	case req.CSeq() == nil:
		return "Missing CSeq"
	}
	if cseqMethod(req.CSeq()) != string(req.Method) {
		return "CSeq Method Mismatch"
	}
	return checkSingletons(req)
}
