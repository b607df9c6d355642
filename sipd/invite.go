package sipd

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/sdp"
)

// Live video (点播): the platform INVITEs a channel of a registered device, over the
// transport and to the address the device registered from, with an SDP offer naming the
// receiver of the media; the device answers 100, maybe 18x, then 200 with its SDP; the
// platform ACKs and the device sends RTP. A BYE from either side ends it.
//
//	INVITE sip:<channel>@<device ip:port>     Subject: <channel>:<ssrc>,<platform>:0
//	  From: <sip:<platform>@<realm>>;tag=...   To: <sip:<channel>@<realm>>
//	  Contact: <sip:<platform>@<our ip:port>>  Content-Type: APPLICATION/SDP

// Invite starts live video of channelID (deviceID itself when empty) on the registered
// device deviceID toward offer's address, port and transport, with offer.SSRC as y=.
// It returns the confirmed dialog once the device answered 200 and the ACK was sent.
// A non-2xx answer is a *DialogError; no answer is ErrTimeout; the bounds are
// ErrTooManyInvites and ErrTooManyDialogs. ctx bounds the whole exchange (default
// Config.InviteTimeout).
func (s *Server) Invite(ctx context.Context, deviceID, channelID string, offer sdp.Session) (Dialog, error) {
	select {
	case <-s.ready:
	default:
		return Dialog{}, ErrStopped
	}
	if channelID == "" {
		channelID = deviceID
	}
	select {
	case s.invites <- struct{}{}:
		defer func() { <-s.invites }()
	default:
		return Dialog{}, ErrTooManyInvites
	}
	if err := s.dialogs.reserve(); err != nil {
		return Dialog{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.InviteTimeout)
		defer cancel()
	}
	b, ok := s.table.lookup(deviceID)
	if !ok {
		return Dialog{}, ErrNotRegistered
	}
	d := Dialog{DeviceID: deviceID, ChannelID: channelID, CallID: randHex(12), LocalTag: randHex(6), CSeq: 1, Transport: b.Transport, RemoteAddr: b.RemoteAddr}
	dst, err := s.dialogSource(d)
	if err != nil {
		return Dialog{}, fmt.Errorf("%w: %s", err, deviceID)
	}
	offer.User, offer.Name, offer.Direction = s.cfg.ServerID, "Play", "recvonly"
	inv, branch := s.buildInvite(d, dst, offer)
	res, err := s.transact(ctx, sip.INVITE, branch, requestBytes(inv), dst)
	if err != nil {
		s.dialogs.abandon(d, dst, s.now())
		return Dialog{}, fmt.Errorf("INVITE %s of %s: %w", channelID, deviceID, err)
	}
	if res.StatusCode >= 300 {
		// The ACK of a non-2xx answer is part of the INVITE transaction (§17.1.1.3).
		_ = s.send(dst, requestBytes(ackFor(inv, res)))
		return Dialog{}, &DialogError{Method: "INVITE", Code: res.StatusCode, Reason: res.Reason}
	}
	return s.confirm(d, dst, inv, res)
}

// confirm records the 2xx's dialog, sends the ACK, and checks the answer's SDP; a
// dialog whose answer is unusable is ended at once.
func (s *Server) confirm(d Dialog, dst source, inv *sip.Request, res *sip.Response) (Dialog, error) {
	d.RemoteTag, _ = paramValue(res.To().Params, "tag")
	if c := res.Contact(); c != nil {
		d.RemoteTarget = c.Address.String()
	}
	ack := requestBytes(s.inDialog(d, dst, sip.ACK, d.CSeq))
	_ = s.send(dst, ack)
	answer, err := sdp.Parse(res.Body())
	if err != nil || d.RemoteTag == "" {
		s.log.Info("device answered INVITE without usable SDP or tag; ending the dialog", "device", d.DeviceID, "channel", d.ChannelID, "error", err)
		ctx, cancel := context.WithTimeout(context.Background(), 64*timerT1)
		defer cancel()
		_ = s.Bye(ctx, d)
		return Dialog{}, errors.Join(ErrBadAnswer, err)
	}
	d.Answer = answer
	s.dialogs.add(&liveDialog{Dialog: d, ack: ack, dst: dst})
	s.log.Info("media dialog confirmed", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID, "ssrc", answer.SSRC)
	return d, nil
}

// Bye ends a media dialog and waits for the device's answer. It works from d alone, so
// a dialog recorded before a restart can be ended too. A 481 (the device no longer has
// the dialog) counts as ended. The dialog is forgotten whatever the outcome.
func (s *Server) Bye(ctx context.Context, d Dialog) error {
	select {
	case <-s.ready:
	default:
		return ErrStopped
	}
	s.dialogs.remove(d.CallID)
	dst, err := s.dialogSource(d)
	if err != nil {
		return fmt.Errorf("BYE %s: %w", d.CallID, err)
	}
	req := s.inDialog(d, dst, sip.BYE, d.CSeq+1)
	branch, _ := paramValue(req.Via().Params, "branch")
	res, err := s.transact(ctx, sip.BYE, branch, requestBytes(req), dst)
	if err != nil {
		return fmt.Errorf("BYE %s: %w", d.CallID, err)
	}
	if res.StatusCode >= 300 && res.StatusCode != 481 {
		return &DialogError{Method: "BYE", Code: res.StatusCode, Reason: res.Reason}
	}
	return nil
}

// Realm is the registrar's SIP domain ID; generated SSRCs carry part of it.
func (s *Server) Realm() string { return s.cfg.Realm }

// buildInvite writes the INVITE of d with offer as its body.
func (s *Server) buildInvite(d Dialog, dst source, offer sdp.Session) (*sip.Request, string) {
	uri := sip.Uri{Scheme: "sip", User: d.ChannelID, Host: dst.addr.Addr().String(), Port: int(dst.addr.Port())}
	req := s.newDialogRequest(sip.INVITE, uri, d, dst, d.CSeq)
	host, port := s.viaAddr(dst.addr, dst.conn)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: host, Port: port}})
	req.AppendHeader(sip.NewHeader("Subject", d.ChannelID+":"+offer.SSRC+","+s.cfg.ServerID+":0"))
	req.AppendHeader(sip.NewHeader("Content-Type", "APPLICATION/SDP"))
	req.SetBody(offer.Marshal())
	branch, _ := paramValue(req.Via().Params, "branch")
	return req, branch
}

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
	ack := sip.NewRequest(sip.ACK, inv.Recipient)
	via := inv.Via().Clone()
	ack.AppendHeader(via)
	from, to := *inv.From(), *res.To()
	ack.AppendHeader(&from)
	ack.AppendHeader(&to)
	callID := *inv.CallID()
	ack.AppendHeader(&callID)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	maxFwd := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&maxFwd)
	ack.SetBody(nil)
	return ack
}

func requestBytes(req *sip.Request) []byte {
	var buf bytes.Buffer
	req.StringWrite(&buf)
	return buf.Bytes()
}
