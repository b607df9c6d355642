package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
	"github.com/gb28181/camera-operator/sipd/sdp"
)

// Registrar is what the Stream controller needs from the SIP registrar;
// *sipd.Server implements it.
type Registrar interface {
	Device(deviceID string) sipd.DeviceState
	// Invite invites a channel of a device through a binding dev.Owner (the Camera's
	// UID) holds.
	Invite(ctx context.Context, dev sipd.DeviceRef, channelID string, offer sdp.Session) (sipd.Dialog, error)
	Bye(ctx context.Context, d sipd.Dialog) error
	// Info steers a playback within its dialog, returning the dialog with the CSeq it
	// used.
	Info(ctx context.Context, d sipd.Dialog, req mansrtsp.Request) (sipd.Dialog, error)
	DialogLive(callID string) bool
	DialogEnded(callID string) bool
	// DialogCompleted: the device said the recording of the dialog reached its end.
	DialogCompleted(callID string) bool
	// Realm is the registrar's SIP domain ID, part of generated SSRCs.
	Realm() string
	// Ready is closed once the registrar serves: it listens only once it leads and has
	// seeded its registrations.
	Ready() <-chan struct{}
}

var _ Registrar = (*sipd.Server)(nil)

// streamFinalizer holds a playing Stream until its dialog is ended with a BYE.
const streamFinalizer = "gb28181.io/stream-bye"

// reconciler plays Streams: one reconcile gathers the Stream, its Camera and the
// registrar's view, decides (decideStream), then acts: BYE, INVITE, one status write.
type reconciler struct {
	client client.Client
	// api reads from the API server: a Stream whose cached copy predates this
	// replica's last write of it (its status holds the dialog just made, and a cache
	// that has not caught up would have the Stream invited twice), and the Camera of
	// another shard.
	api    client.Reader
	reader client.Reader
	reg    Registrar
	opts   Options
	ssrcs  *ssrcBook
	// written remembers the Streams whose cached copy may predate this replica's last
	// write; slots the Streams inviting or playing per Camera.
	written *staleVersions
	slots   *streamSlots
	// recorder records the Stream's Events (stream_events.go); nil records none.
	recorder events.EventRecorder
	// streams finds, in the cache, the Streams of a Camera.
	streams *dependents.ByCamera[*gbv1.Stream]
}

// Reconcile implements reconcile.Reconciler for a Stream's namespace/name.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// Before the registrar serves, a BYE or an INVITE fails at once: a dialog made
	// before a restart would be forgotten without its BYE, and the device, invited
	// again, would send its media twice.
	if err := dependents.WaitForRegistrar(ctx, r.reg); err != nil {
		return ctrl.Result{}, err
	}
	st, err := r.stream(ctx, req.NamespacedName)
	if st == nil || err != nil {
		return ctrl.Result{}, err
	}
	cam, elsewhere, err := devices.CameraOf(ctx, r.reader, r.api, types.NamespacedName{Namespace: st.Namespace, Name: st.Spec.CameraRef.Name})
	if err != nil || elsewhere {
		return ctrl.Result{}, err
	}
	if !st.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, st, cam)
	}
	if controllerutil.AddFinalizer(st, streamFinalizer) {
		// The update's event brings the Stream back.
		return ctrl.Result{}, r.recorded(st, func() error { return r.client.Update(ctx, st) })
	}
	o := r.gather(st, cam)
	plan := decideStream(o, r.opts)
	orig := st.DeepCopy()
	r.act(ctx, st, o, plan)
	if st.Status.Dialog == nil {
		r.slots.release(st.UID)
	}
	if err := r.writeStatus(ctx, orig, st); err != nil {
		r.unrecorded(ctx, orig, st, cam)
		return ctrl.Result{}, err
	}
	r.tell(orig, st)
	return ctrl.Result{RequeueAfter: r.requeue(st, plan)}, nil
}

// stream reads the Stream from the cache, or from the API server when the cached copy
// predates this replica's last write of it; nil when it is gone.
func (r *reconciler) stream(ctx context.Context, key types.NamespacedName) (*gbv1.Stream, error) {
	st := &gbv1.Stream{}
	err := r.reader.Get(ctx, key, st)
	if err == nil && r.written.stale(st.UID, st.ResourceVersion) {
		err = r.api.Get(ctx, key, st)
	}
	if kerrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// unrecorded ends a dialog just made whose status write failed: nothing else knows of
// it, and the next reconcile would invite again beside it.
func (r *reconciler) unrecorded(ctx context.Context, orig, st *gbv1.Stream, cam *gbv1.Camera) {
	d := st.Status.Dialog
	if d == nil || (orig.Status.Dialog != nil && orig.Status.Dialog.CallID == d.CallID) {
		return
	}
	ctrl.LoggerFrom(ctx).Info("status write failed after the INVITE; ending the dialog", "callID", d.CallID)
	_ = r.bye(ctx, st, cam) // stopping: nothing recorded the dialog; the device's timeout ends it
	r.slots.release(st.UID)
}

// gather is the registrar's view of cam's device (cam nil: the Camera does not exist).
func (r *reconciler) gather(st *gbv1.Stream, cam *gbv1.Camera) streamObservation {
	o := streamObservation{stream: st, now: r.opts.now(), camera: cam}
	if d := st.Status.Dialog; d != nil && isRecording(st) {
		o.dialogCompleted = r.reg.DialogCompleted(d.CallID)
	}
	if cam == nil {
		return o
	}
	o.binding = r.reg.Device(cam.Spec.DeviceID).Binding
	if d := st.Status.Dialog; d != nil {
		o.dialogLive = r.reg.DialogLive(d.CallID)
		o.endedByDevice = !o.dialogLive && r.reg.DialogEnded(d.CallID)
	}
	return o
}

// act carries the plan out on st's status.
func (r *reconciler) act(ctx context.Context, st *gbv1.Stream, o streamObservation, plan streamPlan) {
	if plan.bye && !r.bye(ctx, st, o.camera) {
		return // the registrar is stopping: the next leader ends the dialog
	}
	if plan.complete {
		complete(st, o.now)
	}
	if plan.forget {
		st.Status.Dialog, st.Status.StartedAt = nil, nil
	}
	if plan.invite {
		r.invite(ctx, st, o)
		if st.Status.Dialog != nil && needsSteering(st) {
			r.steerOrForget(ctx, st, o)
		}
		return
	}
	if plan.state == gbv1.StreamStopped || plan.state == gbv1.StreamCompleted {
		r.ssrcs.release(st.UID)
	}
	if plan.steer && !r.steerOrForget(ctx, st, o) {
		return
	}
	if plan.failed {
		r.fail(st, o.now)
	}
	report(st, plan.state, plan.reason, plan.message)
}

// steerOrForget steers st's playback; when the device no longer has the dialog it
// forgets it, counts a failure and reports why, and returns false.
func (r *reconciler) steerOrForget(ctx context.Context, st *gbv1.Stream, o streamObservation) bool {
	if r.steer(ctx, st, o.camera) != dialogGone {
		return true
	}
	st.Status.Dialog, st.Status.StartedAt = nil, nil
	r.fail(st, o.now)
	report(st, gbv1.StreamFailed, gbv1.ReasonEndedByDevice, "the device no longer has the dialog (481 to an INFO)")
	return false
}

// requeue is when to look at st again: at its next attempt, or the periodic check.
func (r *reconciler) requeue(st *gbv1.Stream, plan streamPlan) time.Duration {
	if plan.requeue > 0 {
		return plan.requeue
	}
	if next := st.Status.NextAttemptAt; next != nil && st.Status.Dialog == nil {
		return max(next.Time.Sub(r.opts.now()), time.Millisecond)
	}
	return 0
}

// finalize ends the dialog of a deleted Stream and lets it go.
func (r *reconciler) finalize(ctx context.Context, st *gbv1.Stream, cam *gbv1.Camera) error {
	if !controllerutil.ContainsFinalizer(st, streamFinalizer) {
		return nil
	}
	if st.Status.Dialog != nil && !r.bye(ctx, st, cam) {
		return sipd.ErrStopped // the finalizer stays for the next leader's BYE
	}
	r.ssrcs.release(st.UID)
	r.slots.release(st.UID)
	r.written.forget(st.UID)
	controllerutil.RemoveFinalizer(st, streamFinalizer)
	return client.IgnoreNotFound(r.client.Update(ctx, st))
}

// bye ends the recorded dialog and forgets it; a BYE without a 200 is recorded. cam,
// when known, is the Camera whose registration the BYE may go through. When the
// registrar is stopping, the dialog stays in status for the next leader to end, and
// bye reports false.
func (r *reconciler) bye(ctx context.Context, st *gbv1.Stream, cam *gbv1.Camera) bool {
	d := st.Status.Dialog
	ctx, cancel := context.WithTimeout(ctx, r.opts.ByeTimeout)
	defer cancel()
	// The BYE goes where the INVITE went, even if the Camera changed since.
	err := r.reg.Bye(ctx, dialogOf(st, cam))
	if errors.Is(err, sipd.ErrStopped) {
		return false
	}
	st.Status.LastByeError = ""
	if err != nil {
		st.Status.LastByeError = devices.Clean(err.Error(), maxConditionMessage)
		ctrl.LoggerFrom(ctx).Info("BYE got no 200; the dialog is forgotten", "callID", d.CallID, "error", err)
	}
	st.Status.Dialog, st.Status.StartedAt = nil, nil
	return true
}

// invite claims an SSRC, checks the per-Camera bound, and sends the INVITE.
func (r *reconciler) invite(ctx context.Context, st *gbv1.Stream, o streamObservation) {
	cam := o.camera
	if busy, ok := r.slots.claim(cam.UID, st.UID, r.liveStreamsOf(ctx, cam, st), r.opts.MaxStreamsPerCamera); !ok {
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonTooManyStreams, fmt.Sprintf("Camera %q already plays %d streams (the limit)", cam.Name, busy))
		return
	}
	r.holdLiveSSRCs(ctx)
	ssrc, err := r.ssrcs.claim(st.UID, st.Spec.SSRC, r.opts.Realm, isRecording(st))
	if err != nil {
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonSSRCConflict, fmt.Sprintf("ssrc %s: %v", st.Spec.SSRC, err))
		return
	}
	offer, err := offerFor(ctx, st.Spec.Destination, ssrc)
	if err != nil {
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonUnreachable, err.Error())
		return
	}
	offer = recordingOffer(st, offer)
	channel := devices.ChannelOf(st.Spec.ChannelID, cam)
	st.Status.SSRC, st.Status.ChannelID, st.Status.Destination = ssrc, channel, destinationText(st.Spec.Destination)
	report(st, gbv1.StreamInviting, gbv1.ReasonInviting, "INVITE sent to "+cam.Spec.DeviceID)
	if err := r.recorded(st, func() error { return r.client.Status().Update(ctx, st) }); err != nil {
		// Not worth holding the INVITE back: the final write carries the outcome.
		ctrl.LoggerFrom(ctx).V(1).Info("writing Inviting failed", "error", err)
	}
	ictx := ctx
	if r.opts.InviteTimeout > 0 {
		var cancel context.CancelFunc
		ictx, cancel = context.WithTimeout(ctx, r.opts.InviteTimeout)
		defer cancel()
	}
	dlg, err := r.reg.Invite(ictx, sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)}, channel, offer)
	if err != nil {
		r.inviteFailed(ctx, st, o, err)
		return
	}
	now := metav1.NewTime(r.opts.now())
	registeredAt := metav1.NewTime(o.binding.RegisteredAt.Truncate(time.Second))
	st.Status.Dialog = &gbv1.StreamDialog{
		CallID: dlg.CallID, LocalTag: dlg.LocalTag, RemoteTag: dlg.RemoteTag, CSeq: int64(dlg.CSeq),
		RemoteTarget: dlg.RemoteTarget, Transport: gbv1.Transport(dlg.Transport), RemoteAddr: dlg.RemoteAddr, DeviceID: dlg.DeviceID,
	}
	st.Status.MediaAddr, st.Status.MediaPort = dlg.Answer.Addr, int32(dlg.Answer.Port)
	st.Status.StartedAt, st.Status.RegisteredAt, st.Status.NextAttemptAt = &now, &registeredAt, nil
	st.Status.Playback = invitedPlayback(st)
	report(st, gbv1.StreamPlaying, gbv1.ReasonPlaying, playingMessage(st))
	ctrl.LoggerFrom(ctx).Info("stream playing", "callID", dlg.CallID, "ssrc", ssrc, "destination", st.Status.Destination, "mode", modeOf(st))
}

// inviteFailed reports why an INVITE failed and schedules the next one.
func (r *reconciler) inviteFailed(ctx context.Context, st *gbv1.Stream, o streamObservation, err error) {
	ctrl.LoggerFrom(ctx).Info("INVITE failed", "error", err)
	var de *sipd.DialogError
	switch {
	case errors.Is(err, sipd.ErrTooManyInvites), errors.Is(err, sipd.ErrTooManyDialogs):
		// The registrar's bound, not the device's fault: retry soon, uncounted.
		next := metav1.NewTime(o.now.Add(r.opts.RetryMin))
		st.Status.NextAttemptAt = &next
		report(st, gbv1.StreamPending, gbv1.ReasonTooManyStreams, err.Error())
	case errors.Is(err, sipd.ErrNotRegistered):
		report(st, gbv1.StreamWaitingForCamera, gbv1.ReasonCameraNotRegistered, err.Error())
	case errors.Is(err, sipd.ErrNotOwner):
		report(st, gbv1.StreamWaitingForCamera, gbv1.ReasonCameraConflict, fmt.Sprintf("Camera %q does not own device %s: an older Camera claims its ID", o.camera.Name, o.camera.Spec.DeviceID))
	case errors.As(err, &de):
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonRejected, fmt.Sprintf("the device answered %d %s", de.Code, de.Reason))
	case errors.Is(err, sipd.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonTimeout, "no answer to the INVITE: "+err.Error())
	default:
		r.fail(st, o.now)
		report(st, gbv1.StreamFailed, gbv1.ReasonUnreachable, err.Error())
	}
}

// fail counts a failure and schedules the next attempt.
func (r *reconciler) fail(st *gbv1.Stream, now time.Time) {
	st.Status.Failures++
	next := metav1.NewTime(now.Add(backoff(st.Status.Failures, r.opts)))
	st.Status.NextAttemptAt = &next
}

// liveStreamsOf lists the other Streams of cam whose status holds a dialog.
func (r *reconciler) liveStreamsOf(ctx context.Context, cam *gbv1.Camera, self *gbv1.Stream) []types.UID {
	sts, err := r.streams.Of(ctx, cam.Namespace, cam.Name)
	if err != nil {
		return nil
	}
	var live []types.UID
	for _, o := range sts {
		if o.UID != self.UID && o.Status.Dialog != nil {
			live = append(live, o.UID)
		}
	}
	return live
}

// holdLiveSSRCs books the SSRCs of every Stream status shows playing, so that after a
// restart a new Stream does not take one before its holder is reconciled.
func (r *reconciler) holdLiveSSRCs(ctx context.Context) {
	var list gbv1.StreamList
	if err := r.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return
	}
	for _, o := range list.Items {
		if o.Status.Dialog != nil && o.Status.SSRC != "" {
			r.ssrcs.hold(o.UID, o.Status.SSRC)
		}
	}
}

// offerFor is the SDP offer toward d, its host resolved to an address.
func offerFor(ctx context.Context, d gbv1.Destination, ssrc string) (sdp.Session, error) {
	addr := d.Host
	if net.ParseIP(addr) == nil {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupIPAddr(rctx, d.Host)
		if err != nil || len(ips) == 0 {
			return sdp.Session{}, fmt.Errorf("destination host %q does not resolve: %v", d.Host, err)
		}
		addr = ips[0].IP.String()
	}
	return sdp.Session{Addr: addr, Port: int(d.Port), TCP: d.Transport == gbv1.TransportTCP, Setup: "passive", SSRC: ssrc}, nil
}

// report sets state and the Ready condition.
func report(st *gbv1.Stream, state gbv1.StreamState, reason, message string) {
	if state == "" {
		state = gbv1.StreamPending
	}
	st.Status.State = state
	status := metav1.ConditionFalse
	if state == gbv1.StreamPlaying {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Status.Conditions, metav1.Condition{
		Type: gbv1.ConditionReady, Status: status, Reason: reason, Message: devices.Clean(message, maxConditionMessage), ObservedGeneration: st.Generation,
	})
	st.Status.ObservedGeneration = st.Generation
}

// recorded runs write, which updates st, and remembers the version it superseded
// (staleVersions).
func (r *reconciler) recorded(st *gbv1.Stream, write func() error) error {
	before := st.ResourceVersion
	err := write()
	if err == nil && st.ResourceVersion != before {
		r.written.superseded(st.UID, before)
	}
	return err
}

// maxConditionMessage bounds a Stream's condition messages and errors, which carry
// what devices answer.
const maxConditionMessage = 1024

// writeStatus writes st's status when it differs from orig's. The status holds a dialog
// only this reconcile knows of: a conflict (a spec change meanwhile) must not lose it
// (dependents.WriteStatus).
func (r *reconciler) writeStatus(ctx context.Context, orig, st *gbv1.Stream) error {
	return dependents.WriteStatus(ctx, r.client, orig, st, statusOf, func() error {
		return r.recorded(st, func() error { return r.client.Status().Update(ctx, st) })
	})
}

// statusOf is st's status, for dependents.WriteStatus.
func statusOf(st *gbv1.Stream) *gbv1.StreamStatus { return &st.Status }
