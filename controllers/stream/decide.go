package stream

import (
	"fmt"
	"net"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// streamObservation is everything a Stream's next step depends on, gathered first.
type streamObservation struct {
	stream *gbv1.Stream
	// camera is nil when the Camera named by the Stream does not exist.
	camera *gbv1.Camera
	// binding is the device's live registration, nil when it has none.
	binding *sipd.Binding
	// dialogLive: the registrar holds the dialog status records. endedByDevice: the
	// device ended it with a BYE. dialogCompleted: the device said the recording it
	// plays reached its end (MediaStatus 121).
	dialogLive, endedByDevice, dialogCompleted bool
	now                                        time.Time
}

// streamPlan is what to do: end the recorded dialog, invite, or only report.
type streamPlan struct {
	// bye ends the recorded dialog with a BYE; forget drops it without one (the device
	// ended it).
	bye, forget bool
	// invite sends a new INVITE (after bye or forget).
	invite bool
	// complete records the end of the recording (after bye); steer applies the
	// playback controls the spec asks for to the live dialog (playback.go).
	complete, steer bool
	// state, reason and message are reported when not inviting (inviting reports its
	// own outcome).
	state           gbv1.StreamState
	reason, message string
	// failed counts a failure and schedules the next attempt with backoff.
	failed bool
	// requeue is when to look again (0: on the next event only).
	requeue time.Duration
}

// decideStream is the chain of policy checks of a Stream, each named for the reason it
// reports. It reads only o.
func decideStream(o streamObservation, opts Options) streamPlan {
	st := o.stream
	hasDialog := st.Status.Dialog != nil
	switch {
	case completed(st):
		// A finished recording is not played again, whatever happens to its Camera.
		return streamPlan{bye: hasDialog, state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}
	case hasDialog && o.dialogCompleted:
		return streamPlan{bye: true, complete: true, state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}
	}
	switch {
	case st.Spec.Suspend:
		return streamPlan{bye: hasDialog, state: gbv1.StreamStopped, reason: gbv1.ReasonStreamSuspended, message: "spec.suspend is true"}
	case o.camera == nil:
		return streamPlan{bye: hasDialog, state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotFound, message: fmt.Sprintf("Camera %q does not exist", st.Spec.CameraRef.Name)}
	case !ownsDevice(o.camera, o.binding):
		return streamPlan{bye: hasDialog, state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraConflict,
			message: fmt.Sprintf("Camera %q does not own device %s: an older Camera claims its ID", o.camera.Name, o.camera.Spec.DeviceID)}
	case o.camera.Spec.Suspend || o.binding == nil || o.camera.Status.State != gbv1.StateRegistered:
		return streamPlan{bye: hasDialog, state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotRegistered, message: fmt.Sprintf("Camera %q is not registered and online", o.camera.Name)}
	case !devices.ChannelKnown(o.camera, devices.ChannelOf(st.Spec.ChannelID, o.camera)):
		return streamPlan{bye: hasDialog, state: gbv1.StreamFailed, reason: gbv1.ReasonChannelNotFound,
			message: fmt.Sprintf("channel %q is not in Camera %q's catalog", st.Spec.ChannelID, o.camera.Name)}
	}
	if hasDialog {
		switch {
		case o.endedByDevice:
			return streamPlan{forget: true, failed: true, state: gbv1.StreamFailed, reason: gbv1.ReasonEndedByDevice, message: "the device ended the stream with a BYE"}
		case !o.dialogLive:
			// Recorded by another leader or before a restart: the dialog cannot be
			// continued (its ACK and the device's BYE would go nowhere), so end it.
			return streamPlan{bye: true, invite: true}
		case !sameRegistration(st.Status.RegisteredAt, o.binding.RegisteredAt):
			return streamPlan{bye: true, invite: true}
		case !sameTarget(st, o.camera):
			return streamPlan{bye: true, invite: true}
		}
		return streamPlan{steer: needsSteering(st), state: gbv1.StreamPlaying, reason: gbv1.ReasonPlaying, message: playingMessage(st), requeue: opts.CheckInterval}
	}
	if next := st.Status.NextAttemptAt; next != nil && o.now.Before(next.Time) {
		return streamPlan{state: st.Status.State, reason: readyReason(st), message: readyMessage(st), requeue: next.Time.Sub(o.now)}
	}
	return streamPlan{invite: true}
}

// completedMessage is the Ready message of a Completed Stream.
const completedMessage = "the device reached the end of the recording (MediaStatus 121)"

// ownsDevice: nothing says cam does not own its device: it is not in Conflict, and the
// device's live registration, if any, was accepted with cam's credentials. A Stream acts
// on a device only through its own Camera's registration, so a Camera claiming another
// namespace's device ID never plays it.
func ownsDevice(cam *gbv1.Camera, b *sipd.Binding) bool {
	return cam.Status.State != gbv1.StateConflict && (b == nil || b.Owner == string(cam.UID))
}

// playingMessage is the Ready message of a playing Stream; the same text whether just
// invited or checked later, so that checks write nothing.
func playingMessage(st *gbv1.Stream) string {
	return fmt.Sprintf("the device sends media from %s", net.JoinHostPort(st.Status.MediaAddr, strconv.Itoa(int(st.Status.MediaPort))))
}

// sameRegistration: the dialog was made in the device's current registration. Status
// times are kept to the second.
func sameRegistration(recorded *metav1.Time, current time.Time) bool {
	return recorded != nil && recorded.Time.Equal(current.Truncate(time.Second))
}

// destinationText is how status.destination shows spec.destination.
func destinationText(d gbv1.Destination) string {
	transport := d.Transport
	if transport == "" {
		transport = gbv1.TransportUDP
	}
	return net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port))) + "/" + string(transport)
}

// sameTarget: the live dialog plays what the spec asks for.
func sameTarget(st *gbv1.Stream, cam *gbv1.Camera) bool {
	return st.Status.Destination == destinationText(st.Spec.Destination) &&
		st.Status.ChannelID == devices.ChannelOf(st.Spec.ChannelID, cam) &&
		(st.Spec.SSRC == "" || st.Spec.SSRC == st.Status.SSRC)
}

// backoff is the wait after the n-th failure in a row: RetryMin doubled n-1 times, at
// most RetryMax.
func backoff(n int32, opts Options) time.Duration {
	d := opts.RetryMin
	for i := int32(1); i < n && d < opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, opts.RetryMax)
}

func readyReason(st *gbv1.Stream) string {
	for _, c := range st.Status.Conditions {
		if c.Type == gbv1.ConditionReady {
			return c.Reason
		}
	}
	return gbv1.ReasonPending
}

func readyMessage(st *gbv1.Stream) string {
	for _, c := range st.Status.Conditions {
		if c.Type == gbv1.ConditionReady {
			return c.Message
		}
	}
	return ""
}
