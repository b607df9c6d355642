package stream

import (
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// Steering a playing Playback (playback.go says what): one INFO per control step, in
// order, each recorded in status as the device acknowledges it, with the dialog's CSeq
// the INFO took, so that the BYE, even a restarted operator's, goes above it.

// Reasons and action of the Events of playback controls.
const (
	reasonControlled     = "PlaybackControlled"
	reasonControlRefused = "PlaybackControlRefused"
	actionInfo           = "Info"
)

// steerOutcome is how steering ended.
type steerOutcome int

const (
	// steered: every step acknowledged, or a refusal recorded in lastError.
	steered steerOutcome = iota
	// dialogGone: the device answered 481: it no longer has the dialog.
	dialogGone
	// stopping: the registrar stops; the next leader goes on.
	stopping
)

// steer applies to st's live dialog the controls its spec asks for.
func (r *reconciler) steer(ctx context.Context, st *gbv1.Stream, cam *gbv1.Camera) steerOutcome {
	have := acknowledged(st)
	for _, step := range controlSteps(st.Spec.Playback, have) {
		what := describeControl(step.req)
		cctx, cancel := context.WithTimeout(ctx, r.opts.ControlTimeout)
		d, err := r.reg.Info(cctx, dialogOf(st, cam), step.req)
		cancel()
		if d.CSeq > uint32(st.Status.Dialog.CSeq) {
			st.Status.Dialog.CSeq = int64(d.CSeq)
		}
		var de *sipd.DialogError
		switch {
		case errors.Is(err, sipd.ErrStopped):
			st.Status.Playback = &have
			return stopping
		case errors.As(err, &de) && de.Code == 481:
			ctrl.LoggerFrom(ctx).Info("the device no longer has the playback's dialog", "control", what)
			return dialogGone
		case err != nil:
			have.LastError = devices.Clean(what+": "+err.Error(), maxLastError)
			st.Status.Playback = &have
			ctrl.LoggerFrom(ctx).Info("playback control refused", "control", what, "error", err)
			r.event(st, "Warning", reasonControlRefused, actionInfo, have.LastError)
			return steered
		}
		have = step.after
		st.Status.Playback = &have
		r.event(st, "Normal", reasonControlled, actionInfo, fmt.Sprintf("the device acknowledged: %s", what))
	}
	return steered
}

// dialogOf is the registrar's view of st's recorded dialog. cam, when known, is the
// Camera whose registration a request in it may go through.
func dialogOf(st *gbv1.Stream, cam *gbv1.Camera) sipd.Dialog {
	d := st.Status.Dialog
	owner := ""
	if cam != nil {
		owner = string(cam.UID)
	}
	return sipd.Dialog{
		DeviceID: d.DeviceID, Owner: owner, ChannelID: st.Status.ChannelID,
		CallID: d.CallID, LocalTag: d.LocalTag, RemoteTag: d.RemoteTag, CSeq: uint32(d.CSeq),
		RemoteTarget: d.RemoteTarget, Transport: string(d.Transport), RemoteAddr: d.RemoteAddr,
	}
}

// event records an Event on st, when a recorder is set.
func (r *reconciler) event(st *gbv1.Stream, eventType, reason, action, note string) {
	if r.recorder != nil {
		r.recorder.Eventf(st, nil, eventType, reason, action, "%s", note)
	}
}
