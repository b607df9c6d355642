package command

import (
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// observation is everything a command's next step depends on, gathered first.
type observation struct {
	cmd *gbv1.CameraCommand
	// control is the command as sent; invalid, when not nil, says why the spec makes
	// none.
	control control
	invalid error
	// camera is nil when the Camera the command names does not exist.
	camera *gbv1.Camera
	// binding is the device's live registration, nil when it has none.
	binding *sipd.Binding
	// blocker names the older unfinished command of the same Camera that goes first;
	// "" when it is this command's turn.
	blocker string
	now     time.Time
}

// action is what a reconcile does.
type action int

const (
	// actNothing: nothing now; look again after requeue (0: on the next event).
	actNothing action = iota
	// actWait: report Pending with reason and message.
	actWait
	// actSend: send the command (a move: after its finalizer is in place).
	actSend
	// actStop: send the stop of a move.
	actStop
	// actFail: report Failed with reason and message, sending nothing.
	actFail
	// actRelease: remove the finalizer (nothing is left to stop).
	actRelease
	// actDelete: the finished command's TTL ran out.
	actDelete
)

// plan is the decision of one reconcile.
type plan struct {
	action          action
	reason, message string
	requeue         time.Duration
}

// decide is the chain of policy checks of a command, each named for the reason it
// reports. It reads only o.
func decide(o observation, opts Options) plan {
	c := o.cmd
	switch {
	case !c.DeletionTimestamp.IsZero():
		if moveUnstopped(c, o.control) {
			return plan{action: actStop} // deleted mid-move: stop now
		}
		return plan{action: actRelease}
	case finished(c):
		if controllerutil.ContainsFinalizer(c, stopFinalizer) {
			return plan{action: actRelease}
		}
		return expiry(c, o.now)
	case o.invalid != nil:
		return plan{action: actFail, reason: gbv1.ReasonInvalidCommand, message: o.invalid.Error()}
	case c.Status.Phase == gbv1.CommandSent:
		return decideSent(o)
	}
	return decidePending(o, opts)
}

// decideSent: a command recorded as sent. Only a move stays Sent past its reconcile
// (until its stop); any other command found Sent was sent by a reconcile that did not
// live to record the answer, and is not sent again.
func decideSent(o observation) plan {
	c := o.cmd
	if o.control.move == 0 || c.Status.SentAt == nil {
		return plan{action: actFail, reason: gbv1.ReasonInterrupted,
			message: "the operator stopped after sending the command and before the device answered; it is not sent again"}
	}
	if early := stopDue(c, o.control).Add(-stopLead); o.now.Before(early) {
		return plan{action: actNothing, requeue: early.Sub(o.now)}
	}
	return plan{action: actStop} // due (the act waits out the lead), or overdue after a restart: at once
}

// decidePending: a command not sent yet. Its Camera must exist, own its device, be
// registered and know the channel; then it must be its turn. The bounds on sending are
// the act's (they take a token and a slot).
func decidePending(o observation, opts Options) plan {
	c, cam := o.cmd, o.camera
	waitOrFail := func(reason, message string) plan {
		deadline := c.CreationTimestamp.Add(opts.CameraWait)
		if !o.now.Before(deadline) {
			return plan{action: actFail, reason: reason, message: message}
		}
		return plan{action: actWait, reason: reason, requeue: deadline.Sub(o.now),
			message: fmt.Sprintf("%s; the command waits until %s", message, deadline.UTC().Format(time.RFC3339))}
	}
	switch {
	case cam == nil:
		return waitOrFail(gbv1.ReasonCameraNotFound, fmt.Sprintf("Camera %q does not exist", c.Spec.CameraRef.Name))
	case !ownsDevice(cam, o.binding):
		return plan{action: actFail, reason: gbv1.ReasonCameraConflict,
			message: fmt.Sprintf("Camera %q does not own device %s: an older Camera claims its ID", cam.Name, cam.Spec.DeviceID)}
	case cam.Spec.Suspend || o.binding == nil || cam.Status.State != gbv1.StateRegistered:
		return waitOrFail(gbv1.ReasonCameraNotRegistered, fmt.Sprintf("Camera %q is not registered and online", cam.Name))
	case !devices.ChannelKnown(cam, devices.ChannelOf(c.Spec.ChannelID, cam)):
		return plan{action: actFail, reason: gbv1.ReasonChannelNotFound,
			message: fmt.Sprintf("channel %q is not in Camera %q's catalog", c.Spec.ChannelID, cam.Name)}
	case o.blocker != "":
		return plan{action: actWait, reason: gbv1.ReasonWaiting,
			message: fmt.Sprintf("CameraCommand %q of the same Camera goes first", o.blocker)}
	}
	return plan{action: actSend}
}

// expiry deletes a finished command once its TTL has run, counted from its completion.
func expiry(c *gbv1.CameraCommand, now time.Time) plan {
	ttl := defaultTTL
	if c.Spec.TTLSecondsAfterFinished != nil {
		ttl = time.Duration(*c.Spec.TTLSecondsAfterFinished) * time.Second
	}
	done := now
	if c.Status.CompletionTime != nil {
		done = c.Status.CompletionTime.Time
	}
	if left := done.Add(ttl).Sub(now); left > 0 {
		return plan{action: actNothing, requeue: left}
	}
	return plan{action: actDelete}
}

// defaultTTL is ttlSecondsAfterFinished when the spec has none (the API defaults it).
const defaultTTL = 10 * time.Minute

// moveUnstopped: c is a move that was sent and whose stop has not been.
func moveUnstopped(c *gbv1.CameraCommand, ctl control) bool {
	return ctl.move > 0 && c.Status.SentAt != nil && c.Status.StoppedAt == nil
}

// stopLead is how long before a move's stop is due its reconcile starts: the reconcile
// reads the command and its Camera first, which on a busy API server takes a good part
// of a tenth of a second, then waits for the due time and sends. The move then lasts
// its duration, not its duration plus a reconcile.
const stopLead = 250 * time.Millisecond

// stopDue is when a sent move's stop goes: sentAt + duration. status.sentAt tells a
// restarted operator, or a new leader, when that is.
func stopDue(c *gbv1.CameraCommand, ctl control) time.Time {
	return c.Status.SentAt.Add(ctl.move)
}

// stopGivenUp: the stop has been retried for StopRetryWindow past its due time.
func stopGivenUp(c *gbv1.CameraCommand, ctl control, now time.Time, opts Options) bool {
	return !now.Before(stopDue(c, ctl).Add(opts.StopRetryWindow))
}

// ownsDevice: nothing says cam does not own its device: it is not in Conflict, and the
// device's live registration, if any, was accepted with cam's credentials. A command acts
// on a device only through its own Camera's registration, so a Camera claiming another
// namespace's device ID never moves it.
func ownsDevice(cam *gbv1.Camera, b *sipd.Binding) bool {
	return cam.Status.State != gbv1.StateConflict && (b == nil || b.Owner == string(cam.UID))
}
