package stream

import (
	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// A Stream's Events tell its story in `kubectl describe stream`: one per change of its
// state or Ready reason, with the reason as the Event's reason (Playing, EndedByDevice,
// Rejected, Timeout, Completed, ...), and one per playback control (steer.go). Checks that change nothing record nothing, so a playing
// Stream costs no Events, and a Stream retrying with backoff one per attempt at most.

// actionInvite and actionBye are the Events' actions.
const (
	actionInvite = "Invite"
	actionBye    = "Bye"
)

// tell records the Event of a change from orig to st, if any.
func (r *reconciler) tell(orig, st *gbv1.Stream) {
	if r.recorder == nil {
		return
	}
	reason := readyReason(st)
	if orig.Status.State == st.Status.State && readyReason(orig) == reason {
		return
	}
	eventType, action := "Normal", actionInvite
	switch st.Status.State {
	case gbv1.StreamFailed, gbv1.StreamWaitingForCamera:
		eventType = "Warning"
	case gbv1.StreamStopped, gbv1.StreamCompleted:
		action = actionBye
	case gbv1.StreamInviting:
		return // the outcome follows at once
	}
	r.recorder.Eventf(st, nil, eventType, reason, action, "%s", readyMessage(st))
}
