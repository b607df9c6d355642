package sipd

import "github.com/emiago/sipgo/sip"

// The requests of a media dialog and of its INVITE transaction: the INVITE's headers,
// which ACK and BYE share, and the ACK of a non-2xx answer and the CANCEL, which copy
// the INVITE's (RFC 3261 §9.1, §17.1.1.3).

// inDialog writes an ACK or BYE within d: to its remote target, with both tags.
func (s *Server) inDialog(d Dialog, dst source, method sip.RequestMethod, cseq uint32) *sip.Request {
	var uri sip.Uri
	if err := sip.ParseUri(d.RemoteTarget, &uri); err != nil || uri.Host == "" {
		uri = sip.Uri{Scheme: "sip", User: d.ChannelID, Host: dst.addr.Addr().String(), Port: int(dst.addr.Port())}
	}
	req := s.newDialogRequest(method, uri, d, dst, cseq)
	req.SetBody(nil)
	return req
}

// newDialogRequest writes the headers every request of a media dialog has.
func (s *Server) newDialogRequest(method sip.RequestMethod, uri sip.Uri, d Dialog, dst source, cseq uint32) *sip.Request {
	host, port := s.viaAddr(dst.addr, dst.conn)
	req := sip.NewRequest(method, uri)
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: dst.transport, Host: host, Port: port, Params: sip.NewParams()}
	via.Params.Add("rport", "")
	via.Params.Add("branch", "z9hG4bK"+randHex(10))
	req.AppendHeader(via)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: s.cfg.Realm}, Params: sip.NewParams()}
	from.Params.Add("tag", d.LocalTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: d.ChannelID, Host: s.cfg.Realm}, Params: sip.NewParams()}
	if d.RemoteTag != "" {
		to.Params.Add("tag", d.RemoteTag)
	}
	req.AppendHeader(to)
	callID := sip.CallIDHeader(d.CallID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	return req
}

// ackFor is the ACK of a non-2xx final answer: the INVITE's Request-URI, Via branch,
// From and Call-ID, the answer's To (with its tag).
func ackFor(inv *sip.Request, res *sip.Response) *sip.Request {
	return sameTransaction(inv, sip.ACK, res.To())
}

// cancelFor is the CANCEL of inv: its Request-URI, top Via (branch included), From, To,
// Call-ID and CSeq number (RFC 3261 §9.1).
func cancelFor(inv *sip.Request) *sip.Request {
	return sameTransaction(inv, sip.CANCEL, inv.To())
}

// sameTransaction is a request of method within inv's transaction, with To as given:
// inv's Request-URI, top Via, From, Call-ID and CSeq number.
func sameTransaction(inv *sip.Request, method sip.RequestMethod, to *sip.ToHeader) *sip.Request {
	req := sip.NewRequest(method, inv.Recipient)
	req.AppendHeader(inv.Via().Clone())
	from, toCopy := *inv.From(), *to
	req.AppendHeader(&from)
	req.AppendHeader(&toCopy)
	callID := *inv.CallID()
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: method})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.SetBody(nil)
	return req
}
