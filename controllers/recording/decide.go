package recording

import (
	"fmt"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// observation is everything a query's next step depends on, gathered first.
type observation struct {
	rq *gbv1.RecordingQuery
	// camera is nil when the Camera the query names does not exist.
	camera *gbv1.Camera
	// binding is the device's live registration, nil when it has none.
	binding *sipd.Binding
	now     time.Time
}

// action is what a reconcile does with a query.
type action int

const (
	// wait: the query cannot be sent yet; it is Pending with reason.
	wait action = iota
	// send: ask the device.
	send
	// fail: the query cannot be sent, ever or any longer; it is Failed with reason.
	fail
	// keep: the query is finished; look again when its TTL runs out.
	keep
	// expire: the query is finished and its TTL ran out: delete it.
	expire
)

// plan is what to do with a query, and why.
type plan struct {
	action          action
	reason, message string
	// requeue is when to look again (0: on the next event only).
	requeue time.Duration
}

// decide is the chain of policy checks of a query, each named for the reason it
// reports. It reads only o.
func decide(o observation, opts Options) plan {
	rq := o.rq
	if finished(rq) {
		return finishedPlan(rq, o.now, opts)
	}
	reason, message := blocked(o)
	switch {
	case reason == "":
		// Pending, or Running with nobody awaiting its answer (a restart): send.
		return plan{action: send}
	case reason == gbv1.ReasonChannelNotFound:
		// The spec cannot change: waiting cannot help.
		return plan{action: fail, reason: reason, message: message, requeue: ttlOf(rq, opts)}
	case o.now.Sub(rq.CreationTimestamp.Time) >= opts.PendingTimeout:
		return plan{action: fail, reason: reason, message: fmt.Sprintf("%s, for %s", message, opts.PendingTimeout), requeue: ttlOf(rq, opts)}
	}
	return plan{action: wait, reason: reason, message: message, requeue: opts.RetryInterval}
}

// blocked says why the query cannot be sent now, "" when it can.
func blocked(o observation) (reason, message string) {
	cam := o.camera
	switch {
	case cam == nil:
		return gbv1.ReasonCameraNotFound, fmt.Sprintf("Camera %q does not exist", o.rq.Spec.CameraRef.Name)
	case cam.Status.State == gbv1.StateConflict || (o.binding != nil && o.binding.Owner != string(cam.UID)):
		return gbv1.ReasonCameraConflict, fmt.Sprintf("Camera %q does not own device %s: an older Camera claims its ID", cam.Name, cam.Spec.DeviceID)
	case cam.Spec.Suspend || o.binding == nil || cam.Status.State != gbv1.StateRegistered:
		return gbv1.ReasonCameraNotRegistered, fmt.Sprintf("Camera %q is not registered and online", cam.Name)
	case !devices.ChannelKnown(cam, devices.ChannelOf(o.rq.Spec.ChannelID, cam)):
		return gbv1.ReasonChannelNotFound, fmt.Sprintf("channel %q is not in Camera %q's catalog", o.rq.Spec.ChannelID, cam.Name)
	}
	return "", ""
}

// finishedPlan keeps a finished query until completionTime + its TTL, then deletes it.
func finishedPlan(rq *gbv1.RecordingQuery, now time.Time, opts Options) plan {
	done := rq.CreationTimestamp.Time
	if t := rq.Status.CompletionTime; t != nil {
		done = t.Time
	}
	left := done.Add(ttlOf(rq, opts)).Sub(now)
	if left <= 0 {
		return plan{action: expire}
	}
	return plan{action: keep, requeue: left}
}

// ttlOf is how long rq is kept once finished.
func ttlOf(rq *gbv1.RecordingQuery, opts Options) time.Duration {
	if t := rq.Spec.TTLSecondsAfterFinished; t != nil {
		return time.Duration(max(*t, 0)) * time.Second
	}
	return opts.DefaultTTL
}
