package sipd

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
// device dev toward offer's address, port and transport, with offer.SSRC as y=; with
// offer.Name Playback or Download, a recording of it (dialog_playback.go). It acts
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
	offer, err := s.mediaOffer(channelID, offer)
	if err != nil {
		return Dialog{}, err
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
	d := Dialog{DeviceID: dev.ID, Owner: dev.Owner, ChannelID: channelID, CallID: randHex(12), LocalTag: randHex(6), CSeq: 1, Transport: b.Transport, RemoteAddr: b.RemoteAddr, Session: offer.Name}
	dst, err := s.dialogSource(d)
	if err != nil {
		return Dialog{}, fmt.Errorf("%w: %s", err, dev.ID)
	}
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
			ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
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
		return d, fmt.Errorf("the To tag of %d bytes, at most %d kept", len(tag), maxRemoteTagLen)
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
	ctx, cancel := context.WithTimeout(context.Background(), txTimeout)
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
