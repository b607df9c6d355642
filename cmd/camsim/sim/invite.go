package sim

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/sdp"
)

// A device answers the platform's INVITE for one of its channels (the Request-URI user)
// like a camera: 100 Trying, then 200 OK with its own SDP (a=sendonly, the offered y=),
// and on the ACK it starts sending the clip to the offered address. A BYE from the
// platform stops the media and is answered 200; with MediaConfig.ByeAfter the device
// ends the stream itself with a BYE. Streams are keyed by Call-ID.

// call is one live video dialog on the device side.
type call struct {
	d      *Device
	callID string
	// invite is the platform's INVITE, from which the device's in-dialog requests take
	// the platform's address (Contact), tag and Call-ID.
	invite  *sip.Request
	toTag   string
	channel string
	offer   sdp.Session
	ssrc    uint32
	pr      playRequest
	pb      *playback     // nil for live video
	cseq    atomic.Uint32 // CSeq of the device's own requests in the dialog

	mu     sync.Mutex
	cancel context.CancelFunc // stops the media; nil until the ACK
	ended  bool
}

// calls is an endpoint's live video dialogs; the zero value is ready.
type calls struct {
	mu sync.Mutex
	m  map[string]*call
}

func (cs *calls) get(callID string) *call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[callID]
}

// add stores c unless its device already plays limit streams.
func (cs *calls) add(c *call, limit int) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for _, o := range cs.m {
		if o.d == c.d {
			n++
		}
	}
	if n >= limit {
		return false
	}
	if cs.m == nil {
		cs.m = make(map[string]*call)
	}
	cs.m[c.callID] = c
	return true
}

func (cs *calls) remove(c *call) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m[c.callID] == c {
		delete(cs.m, c.callID)
	}
}

// deviceFor finds the device a request is addressed to: by its ID or one of its
// channels, in the Request-URI or else the To header.
func (e *Endpoint) deviceFor(req *sip.Request) (*Device, string) {
	id := req.Recipient.User
	if id == "" {
		if to := req.To(); to != nil {
			id = to.Address.User
		}
	}
	if d := e.device(id); d != nil {
		return d, id
	}
	if to := req.To(); to != nil && to.Address.User != id {
		if d := e.device(to.Address.User); d != nil {
			return d, to.Address.User
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, d := range e.devices {
		if _, ok := d.channelIndex(id); ok {
			return d, id
		}
	}
	return nil, id
}

// onInvite answers a live video INVITE.
func (e *Endpoint) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	d, channel := e.deviceFor(req)
	if d == nil {
		respond(tx, req, sip.StatusNotFound, "Not Found")
		return
	}
	if d.rebooting() {
		return // a booting device answers nothing
	}
	respond(tx, req, sip.StatusTrying, "Trying")
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		d.log.Info("INVITE with a bad offer", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad SDP")
		return
	}
	ssrc, err := parseSSRC(offer.SSRC)
	if err != nil {
		d.log.Info("INVITE without a usable y= SSRC", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad SSRC")
		return
	}
	pr, err := parsePlayRequest(req.Body())
	if err != nil {
		d.log.Info("INVITE with a bad playback request", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad Playback Range")
		return
	}
	c := &call{d: d, callID: req.CallID().Value(), invite: req, toTag: newToken(8), channel: channel, offer: offer, ssrc: ssrc, pr: pr}
	if d.cfg.WVPCompat {
		c.toTag = "" // an RFC 2543 answer: the dialog is Call-ID and the platform's tag
	}
	if pr.kind != sessionPlay {
		if !d.hasRecording(channel, pr.start, pr.end) {
			d.log.Info("no recording in the range asked", "kind", pr.kind, "channel", channel, "start", pr.start, "end", pr.end)
			respond(tx, req, sip.StatusNotFound, "No Recording In Range")
			return
		}
		c.pb = newPlayback(pr)
	}
	if old := e.calls.get(c.callID); old != nil {
		// A retransmitted INVITE whose 200 was lost: answer it the same way.
		c = old
	} else if !e.calls.add(c, d.cfg.Media.maxStreams()) {
		respond(tx, req, sip.StatusBusyHere, "Busy Here")
		return
	}
	_ = tx.Respond(c.answer(e))
}

// answer is the 200 OK carrying the device's SDP.
func (c *call) answer(e *Endpoint) *sip.Response {
	local := c.d.ep.localIP
	mine := sdp.Session{User: c.channel, Name: c.pr.kind, Addr: local, Port: 15060, TCP: c.offer.TCP, Direction: "sendonly", SSRC: c.offer.SSRC, Format: "v/2/4/25/1/4096a///"}
	if c.offer.TCP {
		mine.Setup = "active"
	}
	if c.d.cfg.WVPCompat {
		mine.Direction, mine.SSRC = "recvonly", wvpSSRC(c.channel, c.offer.SSRC)
	}
	body := mine.Marshal()
	if c.pb != nil {
		// The answer names the range it plays, as devices echo it.
		body = []byte(strings.Replace(string(body), "t=0 0\r\n",
			"t="+strconv.FormatInt(c.pr.start.Unix(), 10)+" "+strconv.FormatInt(c.pr.end.Unix(), 10)+"\r\n", 1))
	}
	res := sip.NewResponseFromRequest(c.invite, sip.StatusOK, "OK", body)
	if to := res.To(); to != nil {
		to.Params = sip.NewParams()
		if c.toTag != "" {
			to.Params.Add("tag", c.toTag)
		}
	}
	addr, _ := e.contactAddr(context.Background())
	contact := sip.Uri{Scheme: "sip", User: c.channel}
	if host, port, err := sip.ParseAddr(addr); err == nil {
		contact.Host, contact.Port = host, port
	}
	res.AppendHeader(&sip.ContactHeader{Address: contact})
	ct := sip.ContentTypeHeader("APPLICATION/SDP")
	res.AppendHeader(&ct)
	return res
}

// onAck starts the media of an answered INVITE.
func (e *Endpoint) onAck(req *sip.Request, _ sip.ServerTransaction) {
	c := e.calls.get(req.CallID().Value())
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil || c.ended {
		return // a retransmitted ACK
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.play(ctx, e)
}

// play sends the media until the call ends, then, when the device ended it (ByeAfter),
// says so with a BYE.
func (c *call) play(ctx context.Context, e *Endpoint) {
	byeAfter := c.d.cfg.Media.ByeAfter
	if byeAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, byeAfter)
		defer cancel()
	}
	w, err := dialMedia(ctx, c.offer)
	if err != nil {
		c.d.log.Info("media connection failed", "to", c.offer.Addr, "port", c.offer.Port, "error", err)
	} else {
		if c.pb != nil {
			err = c.pb.stream(ctx, w, c.ssrc, func() { c.mediaStatus(e) })
		} else {
			_, err = playClip(ctx, w, c.ssrc)
		}
		_ = w.Close()
		if err != nil {
			c.d.log.Info("media stopped", "error", err)
		}
	}
	if c.end() {
		// Neither the platform's BYE nor Close ended the call: the device hangs up.
		e.calls.remove(c)
		bctx, cancel := context.WithTimeout(context.Background(), c.d.cfg.RequestTimeout)
		defer cancel()
		if err := c.bye(bctx, e); err != nil {
			c.d.log.Info("BYE to the platform failed", "error", err)
		}
	}
}

// end marks the call ended and reports whether it was live.
func (c *call) end() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
	return true
}

// bye sends the device's BYE within the dialog: to the platform's Contact, with the
// tags swapped and the device's own CSeq.
func (c *call) bye(ctx context.Context, e *Endpoint) error {
	target := c.invite.From().Address
	if h := c.invite.Contact(); h != nil {
		target = h.Address
	}
	req := sip.NewRequest(sip.BYE, target)
	from := &sip.FromHeader{Address: c.invite.To().Address, Params: sip.NewParams()}
	if c.toTag != "" {
		from.Params.Add("tag", c.toTag)
	}
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: c.invite.From().Address, Params: c.invite.From().Params.Clone()}
	req.AppendHeader(to)
	callID := sip.CallIDHeader(c.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq.Add(1), MethodName: sip.BYE})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
	req.SetBody(nil)
	res, err := e.do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return statusError(res)
	}
	return nil
}

// onBye ends a call at the platform's request.
func (e *Endpoint) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := e.calls.get(req.CallID().Value())
	if c == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	e.calls.remove(c)
	c.end()
	respond(tx, req, sip.StatusOK, "OK")
}

// wvpSSRC is the 20-digit y= of a WVP-built simulator's answer: the channel's GB ID, or
// the offered SSRC padded with zeros for a channel without one.
func wvpSSRC(channel, offered string) string {
	if len(channel) == 20 && strings.Trim(channel, "0123456789") == "" {
		return channel
	}
	return (offered + strings.Repeat("0", 20))[:20]
}

// Streams is the number of live video, playback and download calls the device is in.
func (d *Device) Streams() int { return len(d.mine()) }

// errNoCall is returned by HangUp when the device is in no call.
var errNoCall = errors.New("sim: no live video call")

// mine is the device's calls.
func (d *Device) mine() []*call {
	d.ep.calls.mu.Lock()
	defer d.ep.calls.mu.Unlock()
	var mine []*call
	for _, c := range d.ep.calls.m {
		if c.d == d {
			mine = append(mine, c)
		}
	}
	return mine
}

// stopStreams stops the device's media silently, as a camera losing power does.
func (d *Device) stopStreams() {
	for _, c := range d.mine() {
		d.ep.calls.remove(c)
		c.end()
	}
}

// HangUp ends the device's calls with a BYE, as a camera whose stream failed does.
func (d *Device) HangUp(ctx context.Context) error {
	mine := d.mine()
	if len(mine) == 0 {
		return errNoCall
	}
	var errs []error
	for _, c := range mine {
		d.ep.calls.remove(c)
		if c.end() {
			errs = append(errs, c.bye(ctx, d.ep))
		}
	}
	return errors.Join(errs...)
}
