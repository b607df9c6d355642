package recording

import (
	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// A query's Events tell its story in `kubectl describe recordingquery`: one per change
// of its phase or of its Complete condition's reason, with that reason as the Event's
// (Running, Answered, Partial, NoAnswer, Rejected, CameraNotRegistered, ...). A query
// waiting Pending for the same reason records nothing more.

// actionQuery is the Events' action.
const actionQuery = "RecordInfo"

// tell records the Event of a change from orig to rq, if any.
func (r *reconciler) tell(orig, rq *gbv1.RecordingQuery) {
	if r.recorder == nil {
		return
	}
	reason := completeReason(rq)
	if orig.Status.Phase == rq.Status.Phase && completeReason(orig) == reason {
		return
	}
	eventType := "Normal"
	switch rq.Status.Phase {
	case gbv1.RecordingQueryPartial, gbv1.RecordingQueryFailed, gbv1.RecordingQueryPending:
		eventType = "Warning"
	}
	message := ""
	for _, c := range rq.Status.Conditions {
		if c.Type == gbv1.ConditionComplete {
			message = c.Message
		}
	}
	r.recorder.Eventf(rq, nil, eventType, reason, actionQuery, "%s", message)
}
