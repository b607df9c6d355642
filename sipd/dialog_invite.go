package sipd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

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

// Invite starts live video of channelID (dev.ID itself when empty) on the registered
// device dev toward offer's address, port and transport, with offer.SSRC as y=. It acts
// only through a binding dev.Owner holds (ErrNotOwner otherwise). It returns the
// confirmed dialog once the device answered 200 and the ACK was sent. A non-2xx answer
// is a *DialogError; no answer is ErrTimeout; the bounds are ErrTooManyInvites and
// ErrTooManyDialogs. ctx bounds the whole exchange (default Config.InviteTimeout); an
// INVITE given up on after a provisional answer is cancelled (RFC 3261 §9.1).
func (s *Server) Invite(ctx context.Context, dev DeviceRef, channelID string, offer sdp.Session) (Dialog, error) {
	select {
	case <-s.ready:
	default:
		return Dialog{}, ErrStopped
	}
	if channelID == "" {
		channelID = dev.ID
	}
	release, ok := s.invites.take(dev.ID)
	if !ok {
		return Dialog{}, ErrTooManyInvites
	}
	handedOn := false // to the CANCEL or BYE that ends the INVITE, which releases it
	defer func() {
		if !handedOn {
			release()
		}
	}()
	if err := s.dialogs.reserve(); err != nil {
		return Dialog{}, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.InviteTimeout)
		defer cancel()
	}
	b, err := s.table.lookupOwned(dev)
	if err != nil {
		return Dialog{}, err
	}
	d := Dialog{DeviceID: dev.ID, Owner: dev.Owner, ChannelID: channelID, CallID: randHex(12), LocalTag: randHex(6), CSeq: 1, Transport: b.Transport, RemoteAddr: b.RemoteAddr}
	dst, err := s.dialogSource(d)
	if err != nil {
		return Dialog{}, fmt.Errorf("%w: %s", err, dev.ID)
	}
	offer.User, offer.Name, offer.Direction = s.cfg.ServerID, "Play", "recvonly"
	inv, branch := s.buildInvite(d, dst, offer)
	out, err := s.transact(ctx, sip.INVITE, branch, requestBytes(inv), dst)
	if err != nil {
		s.dialogs.abandon(d, dst, s.now())
		if out.proceeding && !errors.Is(err, ErrStopped) {
			// The CANCEL keeps this INVITE's slots until it is done.
			handedOn = true
			s.goRun(func() {
				defer release()
				s.cancelInvite(inv, branch, dst)
			})
		}
		return Dialog{}, fmt.Errorf("INVITE %s of %s: %w", channelID, dev.ID, err)
	}
	res := out.final
	if res.StatusCode >= 300 {
		// The ACK of a non-2xx answer is part of the INVITE transaction (§17.1.1.3).
		_ = s.send(dst, requestBytes(ackFor(inv, res)))
		return Dialog{}, &DialogError{Method: "INVITE", Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
	}
	handedOn = true
	return s.confirm(d, dst, res, release)
}

// Bounds of what a device's 200 OK may put into a dialog, which a Stream's status keeps
// (its schema allows no more).
const (
	maxRemoteTagLen    = 128
	maxRemoteTargetLen = 512
)

// confirm records the 2xx's dialog and sends the ACK. A dialog whose answer is unusable
// is ended with a BYE, in the background: the caller need not wait for a device that
// answered badly; the BYE holds the INVITE's slots (release) until it is done.
func (s *Server) confirm(d Dialog, dst source, res *sip.Response, release func()) (Dialog, error) {
	d, answerErr := dialogFromAnswer(d, res)
	ack := requestBytes(s.inDialog(d, dst, sip.ACK, d.CSeq))
	_ = s.send(dst, ack)
	if answerErr != nil {
		s.log.Info("device answered INVITE unusably; ending the dialog", "device", d.DeviceID, "channel", d.ChannelID, "error", answerErr)
		s.goRun(func() {
			defer release()
			ctx, cancel := context.WithTimeout(context.Background(), 64*timerT1)
			defer cancel()
			_ = s.Bye(ctx, d)
		})
		return Dialog{}, errors.Join(ErrBadAnswer, answerErr)
	}
	release()
	s.dialogs.add(&liveDialog{Dialog: d, ack: ack, dst: dst})
	s.log.Info("media dialog confirmed", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID, "ssrc", d.Answer.SSRC)
	return d, nil
}

// dialogFromAnswer completes d from the device's 2xx: its tag, its Contact and its SDP,
// copied and bounded. A 200 whose To has no tag comes from an RFC 2543 device: the
// dialog's remote tag is empty (RFC 3261 §12.1.2), and requests in it carry none. A
// Contact too long to keep is left out (the BYE then goes to the registration's
// address); an answer without usable SDP, or a tag too long to keep, is an error, with d
// still complete enough for the BYE that ends it.
func dialogFromAnswer(d Dialog, res *sip.Response) (Dialog, error) {
	tag, _ := paramValue(res.To().Params, "tag")
	if len(tag) > maxRemoteTagLen {
		return d, fmt.Errorf("To tag of %d bytes, at most %d kept", len(tag), maxRemoteTagLen)
	}
	d.RemoteTag = strings.Clone(tag)
	if c := res.Contact(); c != nil {
		if target := c.Address.String(); len(target) <= maxRemoteTargetLen {
			d.RemoteTarget = target
		}
	}
	answer, err := sdp.Parse(res.Body())
	if err != nil {
		return d, err
	}
	d.Answer = answer
	return d, nil
}

// cancelInvite ends an INVITE given up on after a provisional answer (RFC 3261 §9.1):
// a CANCEL, then the ACK of the INVITE's final answer, normally 487. A 200 that crossed
// the CANCEL is acknowledged and ended as a late answer (dialog_abandoned.go).
func (s *Server) cancelInvite(inv *sip.Request, branch string, dst source) {
	final, err := s.txs.add(txKey{branch: branch, method: sip.INVITE}, dst)
	if err != nil {
		return
	}
	defer s.txs.remove(final)
	ctx, cancel := context.WithTimeout(context.Background(), 64*timerT1)
	defer cancel()
	if _, err := s.transact(ctx, sip.CANCEL, branch, requestBytes(cancelFor(inv)), dst); err != nil {
		s.log.Info("CANCEL of an unanswered INVITE got no answer", "callID", inv.CallID().Value(), "error", err)
	}
	for {
		select {
		case res := <-final.responses:
			if res.StatusCode >= 300 {
				_ = s.send(dst, requestBytes(ackFor(inv, res)))
				return
			}
		case <-ctx.Done():
			return
		case <-s.stopping:
			return
		}
	}
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
	out, err := s.transact(ctx, sip.BYE, branch, requestBytes(req), dst)
	if err != nil {
		return fmt.Errorf("BYE %s: %w", d.CallID, err)
	}
	if res := out.final; res.StatusCode >= 300 && res.StatusCode != 481 {
		return &DialogError{Method: "BYE", Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
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

func requestBytes(req *sip.Request) []byte {
	var buf bytes.Buffer
	req.StringWrite(&buf)
	return buf.Bytes()
}

// inviteSlots bounds the INVITEs in flight: in all, and to one device.
type inviteSlots struct {
	mu        sync.Mutex
	total     int
	perDevice map[string]int
	max, each int
}

func newInviteSlots(max, each int) *inviteSlots {
	return &inviteSlots{perDevice: make(map[string]int), max: max, each: each}
}

// take reserves a slot for an INVITE to deviceID; false at a bound. release gives it
// back.
func (t *inviteSlots) take(deviceID string) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total >= t.max || t.perDevice[deviceID] >= t.each {
		return nil, false
	}
	t.total++
	t.perDevice[deviceID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.total--
			if n := t.perDevice[deviceID]; n > 1 {
				t.perDevice[deviceID] = n - 1
			} else {
				delete(t.perDevice, deviceID)
			}
		})
	}, true
}
