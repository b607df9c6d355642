package command

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// A command's Events tell its story in `kubectl describe cameracommand`: one per change
// of its phase or of its Succeeded condition's reason (Sent, Done, a reason of waiting
// or of failure), with the Camera as the related object. Each command sent also records
// an Event on its Camera (CommandSent), so that `kubectl describe camera` is the audit
// trail of what its device was told; those are bounded by the Camera's token bucket
// (Options.CommandsPerSecond). A move's stop adds one Event on the command.

// Event reasons beyond the condition reasons, and the Events' action.
const (
	eventCommandSent = "CommandSent"
	eventStopped     = "Stopped"
	eventStopFailed  = "StopFailed"
	actionControl    = "DeviceControl"
)

// tell records the Event of a change from orig to c, if any.
func (r *reconciler) tell(orig, c *gbv1.CameraCommand, cam *gbv1.Camera) {
	if r.recorder == nil {
		return
	}
	cond := meta.FindStatusCondition(c.Status.Conditions, gbv1.ConditionSucceeded)
	if cond == nil {
		return
	}
	if was := meta.FindStatusCondition(orig.Status.Conditions, gbv1.ConditionSucceeded); orig.Status.Phase == c.Status.Phase && was != nil && was.Reason == cond.Reason {
		return
	}
	eventType := corev1.EventTypeNormal
	if c.Status.Phase == gbv1.CommandFailed {
		eventType = corev1.EventTypeWarning
	}
	r.recorder.Eventf(c, related(cam), eventType, cond.Reason, actionControl, "%s", cond.Message)
}

// tellCamera records on the Camera that a command was sent to its device.
func (r *reconciler) tellCamera(cam *gbv1.Camera, c *gbv1.CameraCommand) {
	if r.recorder == nil {
		return
	}
	r.recorder.Eventf(cam, c, corev1.EventTypeNormal, eventCommandSent, actionControl,
		"CameraCommand %s sent %s to %s", c.Name, c.Status.Command, target(c, cam))
}

// tellStopped records that a move's stop was sent; deleting says why it went early.
func (r *reconciler) tellStopped(c *gbv1.CameraCommand, cam *gbv1.Camera, deleting bool) {
	if r.recorder == nil {
		return
	}
	why := "the move's duration was up"
	if deleting {
		why = "the command was deleted during the move"
	}
	r.recorder.Eventf(c, related(cam), corev1.EventTypeNormal, eventStopped, actionControl, "the stop was sent: %s", why)
}

// tellStopFailed warns that a move's stop could not be sent.
func (r *reconciler) tellStopFailed(c *gbv1.CameraCommand, cam *gbv1.Camera, why string) {
	if r.recorder == nil {
		return
	}
	note := fmt.Sprintf("the stop of the move failed for %s (%s): the camera may still be moving", r.opts.StopRetryWindow, why)
	r.recorder.Eventf(c, related(cam), corev1.EventTypeWarning, eventStopFailed, actionControl, "%s", note)
	if cam != nil {
		r.recorder.Eventf(cam, c, corev1.EventTypeWarning, eventStopFailed, actionControl, "CameraCommand %s: %s", c.Name, note)
	}
}

// related is the Camera as an Event's related object, nil when there is none.
func related(cam *gbv1.Camera) runtime.Object {
	if cam == nil {
		return nil
	}
	return cam
}
