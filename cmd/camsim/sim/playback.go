package sim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
)

// Playback and download (GB/T 28181-2016 §9.8, §9.9). An INVITE whose SDP says
// s=Playback or s=Download, with u=<channel>:0 and t=<start> <end> in Unix seconds, asks
// for a channel's recording of that range; Download adds a=downloadspeed:N. The device
// answers 404 when the channel has no recording overlapping the range (Records), else
// 200 as for live video, and on the ACK streams the test clip, looped, as the recording:
// frame n of the range is stamped PTS (and RTP timestamp) n*40ms on the 90 kHz clock,
// so the stream's timestamps count from the range's start, as a platform cutting a file
// expects. A download is sent N times faster than real time.
//
// Within the dialog, INFO with Application/MANSRTSP controls the playback:
//
//	PLAY Scale: s        frames go s times as fast (0 < s <= 16); timestamps still
//	                     follow the recording, so the media runs s times real time
//	PAUSE                no more frames; the position is kept
//	PLAY [Range: now-]   resume where it paused
//	PLAY Range: npt=t-   seek: go on from t seconds into the range, from the key frame
//	                     at or before it
//
// At the end of the range the device stops sending and says so with a MediaStatus
// Notify (NotifyType 121) by MESSAGE, carrying the dialog's Call-ID and tags; it keeps
// the dialog until the platform's BYE (a seek back plays again).

// Kinds of media session (the SDP's s= line).
const (
	sessionPlay     = "Play"
	sessionPlayback = "Playback"
	sessionDownload = "Download"
)

// Bounds of what a platform may ask: download speeds devices offer, and the scales a
// device plays at (mansrtsp decodes wider ones).
const (
	maxDownloadSpeed = 16
	maxScale         = 16
)

// playRequest is what an INVITE's SDP asks beyond sdp.Session (which reads only the
// lines of live video): the session's kind, the recording's range, the download speed.
type playRequest struct {
	kind       string
	channel    string // from u=, "" when absent
	start, end time.Time
	speed      int
}

var errBadRange = errors.New("sim: playback without a usable t= range")

// parsePlayRequest reads s=, u=, t= and a=downloadspeed from an SDP body. A live
// INVITE (s=Play, or no s=) needs none of them.
func parsePlayRequest(body []byte) (playRequest, error) {
	pr := playRequest{kind: sessionPlay, speed: 1}
	var times string
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "s="):
			switch v := strings.TrimSpace(line[2:]); {
			case strings.EqualFold(v, sessionPlayback):
				pr.kind = sessionPlayback
			case strings.EqualFold(v, sessionDownload):
				pr.kind = sessionDownload
			}
		case strings.HasPrefix(line, "u="):
			pr.channel, _, _ = strings.Cut(line[2:], ":")
		case strings.HasPrefix(line, "t="):
			times = line[2:]
		case strings.HasPrefix(strings.ToLower(line), "a=downloadspeed:"):
			n, err := strconv.Atoi(strings.TrimSpace(line[len("a=downloadspeed:"):]))
			if err != nil || n < 1 || n > maxDownloadSpeed {
				return pr, fmt.Errorf("sim: download speed %q: want 1-%d", line, maxDownloadSpeed)
			}
			pr.speed = n
		}
	}
	if pr.kind == sessionPlay {
		pr.speed = 1
		return pr, nil
	}
	f := strings.Fields(times)
	if len(f) != 2 {
		return pr, fmt.Errorf("%w: t=%s", errBadRange, times)
	}
	start, err1 := strconv.ParseInt(f[0], 10, 64)
	end, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || start <= 0 || end <= start {
		return pr, fmt.Errorf("%w: t=%s", errBadRange, times)
	}
	pr.start, pr.end = time.Unix(start, 0), time.Unix(end, 0)
	if pr.kind == sessionPlayback {
		pr.speed = 1
	}
	return pr, nil
}

// playback is the state of a playback or download, shared by the sender and the INFO
// requests that steer it.
type playback struct {
	kind   string
	frames int64   // frames in the range
	speed  float64 // the download speed, 1 for playback

	mu     sync.Mutex
	pos    int64 // the next frame, counted from the range's start
	scale  float64
	paused bool
	eof    bool // the end was reached and announced

	changed chan struct{} // wakes the sender after a change
}

func newPlayback(pr playRequest) *playback {
	return &playback{
		kind:    pr.kind,
		frames:  int64(pr.end.Sub(pr.start) / frameInterval),
		speed:   float64(pr.speed),
		scale:   1,
		changed: make(chan struct{}, 1),
	}
}

// clipGOP is the clip's key frame interval in frames: a seek lands on a multiple of it.
var clipGOP = sync.OnceValue(func() int64 {
	frames := clipFrames()
	for i := 1; i < len(frames); i++ {
		if frames[i].key {
			return int64(i)
		}
	}
	return int64(max(len(frames), 1))
})

// control applies one MANSRTSP request.
func (pb *playback) control(r mansrtsp.Request) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	switch r.Method {
	case mansrtsp.Play:
		if r.Scale != 0 {
			if r.Scale < 0 || r.Scale > maxScale {
				return fmt.Errorf("sim: scale %v not simulated (0 < scale <= %d)", r.Scale, maxScale)
			}
			pb.scale = r.Scale
		}
		if r.Range != nil && !r.Range.Now {
			pos := int64(r.Range.Offset / frameInterval)
			pb.pos = min(pos-pos%clipGOP(), pb.frames)
			pb.eof = false
		}
		pb.paused = false
	case mansrtsp.Pause, mansrtsp.Teardown:
		pb.paused = true
	}
	select {
	case pb.changed <- struct{}{}:
	default:
	}
	return nil
}

// stream sends the range's frames over w as the playback's state says until ctx ends,
// calling atEnd once each time the end is reached.
func (pb *playback) stream(ctx context.Context, w rtpWriter, ssrc uint32, atEnd func()) error {
	frames := clipFrames()
	if len(frames) == 0 {
		return errors.New("sim: no frames in the clip")
	}
	p := packetizer{ssrc: ssrc}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	next := time.Now()
	var ps []byte
	for {
		pb.mu.Lock()
		if pb.paused || pb.pos >= pb.frames {
			announce := !pb.paused && !pb.eof
			pb.eof = pb.eof || announce
			pb.mu.Unlock()
			if announce {
				atEnd()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-pb.changed:
				next = time.Now()
				continue
			}
		}
		pos, rate := pb.pos, pb.scale*pb.speed
		pb.pos++
		pb.mu.Unlock()

		pts := uint64(pos) * ticksPerFrame
		ps = muxPS(ps[:0], frames[pos%int64(len(frames))], pts)
		for _, pkt := range p.packets(ps, uint32(pts)) {
			if err := w.write(pkt); err != nil {
				return err
			}
		}
		next = next.Add(time.Duration(float64(frameInterval) / rate))
		wait := time.Until(next)
		if wait < -time.Second {
			next, wait = time.Now(), 0 // too far behind (a slow receiver): do not burst
		}
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return nil
		case <-pb.changed:
			next = time.Now()
		case <-timer.C:
		}
	}
}

// mediaStatus tells the platform the range has been sent: a MediaStatus Notify by
// MESSAGE in the dialog (its Call-ID and tags), from the device.
func (c *call) mediaStatus(e *Endpoint) {
	d := c.d
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
	defer cancel()
	body, err := manscdp.EncodeMediaStatusNotify(int(d.sn.Add(1)), c.channel, d.cfg.Charset)
	if err != nil {
		d.log.Info("encoding MediaStatus failed", "error", err)
		return
	}
	req := sip.NewRequest(sip.MESSAGE, d.platformURI())
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.ID, Host: d.cfg.Domain}, Params: sip.NewParams()}
	if c.toTag != "" {
		from.Params.Add("tag", c.toTag)
	}
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: c.invite.From().Address, Params: c.invite.From().Params.Clone()})
	callID := sip.CallIDHeader(c.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: c.cseq.Add(1), MethodName: sip.MESSAGE})
	d.commonHeaders(req)
	ct := sip.ContentTypeHeader("Application/MANSCDP+xml")
	req.AppendHeader(&ct)
	req.SetBody(body)
	if err := d.sendRequest(ctx, req); err != nil {
		d.log.Info("MediaStatus failed", "error", err)
		return
	}
	d.log.Info("end of the recording sent", "kind", c.pb.kind, "channel", c.channel)
}

// onInfo steers a playback or download with a MANSRTSP body.
func (e *Endpoint) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := e.calls.get(req.CallID().Value())
	if c == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	if c.pb == nil {
		c.d.log.Info("INFO in a live video call", "callID", c.callID)
		respond(tx, req, sip.StatusNotAcceptableHere, "Not A Playback")
		return
	}
	r, err := mansrtsp.Decode(req.Body())
	if err != nil {
		c.d.log.Info("undecodable MANSRTSP body", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad MANSRTSP Body")
		return
	}
	if err := c.pb.control(r); err != nil {
		c.d.log.Info("MANSRTSP request refused", "error", err)
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	c.d.log.Info("playback control", "method", r.Method, "scale", r.Scale, "range", r.Range)
	body := fmt.Sprintf("RTSP/1.0 200 OK\r\nCSeq: %d\r\n", r.CSeq)
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", []byte(body))
	ct := sip.ContentTypeHeader("Application/MANSRTSP")
	res.AppendHeader(&ct)
	_ = tx.Respond(res)
}
