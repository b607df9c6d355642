package sipd

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Ending a media dialog with a BYE: the platform's (Server.Bye, from the plain Dialog
// value, so a dialog made before a restart can be ended too) and the device's
// (handleBye).

// Bye ends a media dialog and waits for the device's answer. It works from d alone, so
// a dialog recorded before a restart can be ended too. A 481 (the device no longer has
// the dialog) counts as ended. The dialog is forgotten whatever the outcome.
func (s *Server) Bye(ctx context.Context, d Dialog) error {
	select {
	case <-s.ready:
	default:
		return ErrStopped
	}
	cseq := s.dialogs.nextCSeq(d) // above the INFOs' too
	s.dialogs.remove(d.CallID)
	dst, err := s.dialogSource(d)
	if err != nil {
		return fmt.Errorf("BYE %s: %w", d.CallID, err)
	}
	req := s.inDialog(d, dst, sip.BYE, cseq)
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

// handleBye answers a device's BYE: 200 and a notification for a dialog the registrar
// holds, from the device's address and with its tags; 481 for any other.
func (s *Server) handleBye(req *sip.Request, src source) {
	d := s.dialogs.get(req.CallID().Value())
	fromTag, _ := paramValue(req.From().Params, "tag")
	toTag, _ := paramValue(req.To().Params, "tag")
	if d == nil || fromTag != d.RemoteTag || toTag != d.LocalTag || !sameHost(d.RemoteAddr, src.addr.Addr().String()) {
		s.log.Debug("BYE for no known dialog", "source", src.addr.String(), "callID", req.CallID().Value())
		s.reply(req, src, 481, "Call/Transaction Does Not Exist")
		return
	}
	s.dialogs.endedByDevice(d.CallID, s.now())
	s.reply(req, src, 200, "OK")
	s.log.Info("device ended a media dialog", "device", d.DeviceID, "channel", d.ChannelID, "callID", d.CallID)
	s.notify(d.DeviceID)
}
