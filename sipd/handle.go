package sipd

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Where a message from outside goes: handle parses it, a request is checked
// (request_wellformed.go) and dispatched by method (REGISTER to register_handler.go,
// MESSAGE to message_handler.go, BYE to dialog_bye.go, NOTIFY to subscribe_notify.go),
// a response is routed to its dialog or client transaction.

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
	case sip.NOTIFY:
		method = "NOTIFY"
		s.handleNotify(req, src)
	default:
		rb := s.newResponse(req, src, 405, "Method Not Allowed")
		rb.header("Allow", s.allowHeader)
		s.finish(rb, src)
	}
	s.metrics.latency[method].Observe(time.Since(start).Seconds())
}

// routeResponse hands a response from src to its transaction, or, for a retransmitted
// 200 OK of an INVITE whose transaction is over, sends the dialog's ACK again. A
// response lacking a header every response has (RFC 3261 §8.1.1) is dropped: nothing
// could match it, and nothing downstream should have to check.
func (s *Server) routeResponse(res *sip.Response, src source) {
	if res.Via() == nil || res.From() == nil || res.To() == nil || res.CallID() == nil || res.CSeq() == nil {
		s.metrics.dropped.Inc()
		s.log.Debug("dropping a response without Via, From, To, Call-ID or CSeq", "source", src.addr.String())
		return
	}
	if cseq := res.CSeq(); cseq.MethodName == sip.INVITE && res.StatusCode >= 200 && res.StatusCode < 300 {
		if d := s.dialogs.get(res.CallID().Value()); d != nil && d.ack != nil {
			if answersFrom(d.dst, src) {
				_ = s.send(d.dst, d.ack)
			}
			return
		}
		if s.endLateDialog(res, src) {
			return
		}
	}
	if !s.txs.deliver(res, src) {
		s.log.Debug("response to no request of ours from there", "source", src.addr.String(), "callID", res.CallID().Value())
	}
}

// asRequest returns msg as a request when it is one.
func asRequest(msg sip.Message) (*sip.Request, bool) {
	req, ok := msg.(*sip.Request)
	return req, ok && req != nil
}
