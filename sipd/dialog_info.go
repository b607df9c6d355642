package sipd

import (
	"bytes"
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/mansrtsp"
)

// Steering a playback within its dialog (GB/T 28181-2016 §9.8.2, Annex B): an INFO
// with Content-Type Application/MANSRTSP carrying PLAY (a Scale, a Range to seek, or
// npt=now- to resume) or PAUSE. Every request of the dialog takes a CSeq above the last
// one, INVITE, INFOs and the BYE alike (RFC 3261 §12.2.1.1), so Info returns the dialog
// with the CSeq it used: a caller that keeps it (a Stream's status) ends the dialog
// with a BYE above it even after a restart. The device answers 200, its body often an
// RTSP status (RTSP/1.0 200 OK); a status that refuses is an error like a SIP refusal.

// infoContentType is the Content-Type of a MANSRTSP INFO, as devices expect it.
const infoContentType = "Application/MANSRTSP"

// Info sends req in the media dialog d and waits for the device's answer; ctx bounds
// the wait (Timer F, 32 s, at most). A req without a CSeq takes the INFO's. It returns
// d with the CSeq the INFO used, also when it failed: the request may have reached the
// device. A non-2xx answer, or a 2xx whose MANSRTSP status refuses, is a *DialogError
// (Method "INFO", or the MANSRTSP method for the status); 481 means the device no
// longer has the dialog. Like Bye it works from d alone.
func (s *Server) Info(ctx context.Context, d Dialog, req mansrtsp.Request) (Dialog, error) {
	select {
	case <-s.ready:
	default:
		return d, ErrStopped
	}
	dst, err := s.dialogSource(d)
	if err != nil {
		return d, fmt.Errorf("INFO %s: %w", d.CallID, err)
	}
	d.CSeq = s.dialogs.nextCSeq(d)
	if req.CSeq == 0 {
		req.CSeq = int(d.CSeq)
	}
	body, err := req.Encode()
	if err != nil {
		return d, err
	}
	msg := s.inDialog(d, dst, sip.INFO, d.CSeq)
	msg.AppendHeader(sip.NewHeader("Content-Type", infoContentType))
	msg.SetBody(body)
	branch, _ := paramValue(msg.Via().Params, "branch")
	out, err := s.transact(ctx, sip.INFO, branch, requestBytes(msg), dst)
	if err != nil {
		return d, fmt.Errorf("INFO %s: %w", d.CallID, err)
	}
	res := out.final
	if res.StatusCode >= 300 {
		return d, &DialogError{Method: "INFO", Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
	}
	if err := mansrtspRefusal(req.Method, res.Body()); err != nil {
		s.log.Info("device refused a playback control", "device", d.DeviceID, "callID", d.CallID, "method", req.Method, "error", err)
		return d, err
	}
	return d, nil
}

// mansrtspRefusal is the device's refusal of method in the body of its 2xx, nil when
// the body is empty, accepts, or cannot be read (the 2xx is then the whole answer).
func mansrtspRefusal(method mansrtsp.Method, body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r, err := mansrtsp.DecodeResponse(body)
	if err != nil || r.OK() {
		return nil
	}
	return &DialogError{Method: string(method), Code: r.Code, Reason: r.Reason}
}

// nextCSeq is the CSeq of the next request in d: one above both d's and the highest
// the registrar used in it, which it records.
func (t *dialogTable) nextCSeq(d Dialog) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := d.CSeq
	e := t.m[d.CallID]
	if e != nil && e.CSeq > n {
		n = e.CSeq
	}
	n++
	if e != nil {
		e.CSeq = n
	}
	return n
}
