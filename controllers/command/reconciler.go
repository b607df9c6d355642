package command

import (
	"context"
	"fmt"
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
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Registrar is what the CameraCommand controller needs from the SIP registrar;
// *sipd.Server implements it.
type Registrar interface {
	Device(deviceID string) sipd.DeviceState
	// Control sends a DeviceControl to channelID of a device through a binding
	// dev.Owner (the Camera's UID) holds, and waits for its answer.
	Control(ctx context.Context, dev sipd.DeviceRef, channelID string, cmd manscdp.ControlCommand) error
	// Ready is closed once the registrar serves: it listens only once it leads and has
	// seeded its registrations.
	Ready() <-chan struct{}
}

var _ Registrar = (*sipd.Server)(nil)

// stopFinalizer holds a move that was sent until its stop has been.
const stopFinalizer = "gb28181.io/command-stop"

// maxConditionMessage bounds condition messages, which carry what devices answer.
const maxConditionMessage = 1024

// reconciler sends CameraCommands: one reconcile gathers the command, its Camera, the
// registrar's view and the Camera's queue, decides (decide), then acts.
type reconciler struct {
	client client.Client
	// api reads the command itself, so that a cached copy older than this replica's
	// own Sent never has a command sent twice, and the Camera of another shard.
	api     client.Reader
	reader  client.Reader
	reg     Registrar
	opts    Options
	buckets *cameraBuckets
	flights *inFlight
	// recorder records Events on commands and Cameras (events.go); nil records none.
	recorder events.EventRecorder
	// commands finds, in the cache, the commands of a Camera: its queue.
	commands *dependents.ByCamera[*gbv1.CameraCommand]
}

// Reconcile implements reconcile.Reconciler for a CameraCommand's namespace/name.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// Before the registrar serves nothing can be sent, and a stop due now must not be
	// given up for that.
	if err := dependents.WaitForRegistrar(ctx, r.reg); err != nil {
		return ctrl.Result{}, err
	}
	c, err := r.command(ctx, req.NamespacedName)
	if c == nil || err != nil {
		return ctrl.Result{}, err
	}
	cam, elsewhere, err := devices.CameraOf(ctx, r.reader, r.api, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.CameraRef.Name})
	if err != nil || elsewhere {
		return ctrl.Result{}, err
	}
	o, err := r.gather(ctx, c, cam)
	if err != nil {
		return ctrl.Result{}, err
	}
	return r.act(ctx, o, decide(o, r.opts))
}

// command reads the command from the API server; nil when it is gone.
func (r *reconciler) command(ctx context.Context, key types.NamespacedName) (*gbv1.CameraCommand, error) {
	c := &gbv1.CameraCommand{}
	err := r.api.Get(ctx, key, c)
	if kerrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// gather is the observation of c.
func (r *reconciler) gather(ctx context.Context, c *gbv1.CameraCommand, cam *gbv1.Camera) (observation, error) {
	o := observation{cmd: c, camera: cam, now: r.opts.now()}
	o.control, o.invalid = controlOf(&c.Spec)
	if cam != nil {
		o.binding = r.reg.Device(cam.Spec.DeviceID).Binding
	}
	if c.DeletionTimestamp.IsZero() && c.Status.Phase != gbv1.CommandSent && !finished(c) {
		queue, err := r.queueOf(ctx, c.Namespace, c.Spec.CameraRef.Name)
		if err != nil {
			return o, err
		}
		o.blocker = blockerOf(c, queue)
	}
	return o, nil
}

// queueOf lists, from the cache, the commands of a Camera. They are the cache's own:
// read them, never change them.
func (r *reconciler) queueOf(ctx context.Context, ns, camera string) ([]*gbv1.CameraCommand, error) {
	queue, err := r.commands.Of(ctx, ns, camera)
	if err != nil {
		return nil, fmt.Errorf("list the commands of Camera %s/%s: %w", ns, camera, err)
	}
	return queue, nil
}

// act carries the plan out.
func (r *reconciler) act(ctx context.Context, o observation, p plan) (ctrl.Result, error) {
	c := o.cmd
	switch p.action {
	case actWait:
		orig := c.DeepCopy()
		c.Status.Command = o.control.text
		report(c, gbv1.CommandPending, p.reason, p.message)
		if err := r.writeStatus(ctx, orig, c); err != nil {
			return ctrl.Result{}, err
		}
		r.tell(orig, c, o.camera)
	case actFail:
		orig := c.DeepCopy()
		c.Status.Command = o.control.text
		r.complete(c, gbv1.CommandFailed, p.reason, p.message)
		if err := r.writeStatus(ctx, orig, c); err != nil {
			return ctrl.Result{}, err
		}
		r.tell(orig, c, o.camera)
	case actSend:
		return r.send(ctx, o)
	case actStop:
		return r.stop(ctx, o)
	case actRelease:
		return ctrl.Result{}, r.release(ctx, c)
	case actDelete:
		ctrl.LoggerFrom(ctx).V(1).Info("deleting a finished command after its TTL")
		err := r.client.Delete(ctx, c, client.Preconditions{UID: &c.UID})
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{RequeueAfter: p.requeue}, nil
}

// send sends the command, within the bounds: a slot of MaxInFlight and a token of the
// Camera's bucket. Sent is recorded before the MESSAGE goes, so that a command is sent
// at most once whatever happens to this replica, and a move's stop follows it even if
// this replica dies before the device answers.
func (r *reconciler) send(ctx context.Context, o observation) (ctrl.Result, error) {
	c, ctl, cam := o.cmd, o.control, o.camera
	if held, res := r.bounded(ctx, o); held {
		return res, nil
	}
	defer r.flights.release()
	if ctl.move > 0 {
		if err := r.patchFinalizers(ctx, c, controllerutil.AddFinalizer); err != nil {
			return ctrl.Result{}, err
		}
	}
	orig := c.DeepCopy()
	sentAt := metav1.NewMicroTime(r.opts.now())
	c.Status.Command, c.Status.SentAt, c.Status.AnsweredAt, c.Status.StoppedAt, c.Status.Result = ctl.text, &sentAt, nil, nil, ""
	report(c, gbv1.CommandSent, gbv1.ReasonSent, fmt.Sprintf("sent to %s", target(c, cam)))
	if err := r.writeStatus(ctx, orig, c); err != nil {
		return ctrl.Result{}, err // nothing was sent
	}
	r.tell(orig, c, cam)
	r.tellCamera(cam, c)

	orig = c.DeepCopy()
	sentAt = metav1.NewMicroTime(r.opts.now())
	err := r.control(ctx, cam, devices.ChannelOf(c.Spec.ChannelID, cam), ctl.cmd)
	out := outcomeOf(err, ctl.text)
	now := metav1.NewMicroTime(r.opts.now())
	c.Status.SentAt = &sentAt
	switch out.result {
	case interrupted:
		// The next leader finds Sent: a move is stopped when due, anything else is
		// reported Interrupted.
		return ctrl.Result{}, err
	case notSent:
		ctrl.LoggerFrom(ctx).Info("the registrar sent nothing; the command waits", "reason", out.reason, "error", err)
		c.Status.SentAt = nil
		report(c, gbv1.CommandPending, out.reason, out.message)
		return ctrl.Result{RequeueAfter: r.opts.RetryInterval}, r.written(ctx, orig, c, cam)
	case failed:
		ctrl.LoggerFrom(ctx).Info("command failed", "reason", out.reason, "error", err)
		if out.deviceResult != "" {
			c.Status.AnsweredAt, c.Status.Result = &now, devices.Clean(out.deviceResult, 64)
		}
		message := out.message
		if ctl.move > 0 {
			message += r.stopAfterFailure(ctx, c, cam)
		}
		r.complete(c, gbv1.CommandFailed, out.reason, message)
		if err := r.written(ctx, orig, c, cam); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, r.release(ctx, c)
	}
	c.Status.AnsweredAt, c.Status.Result = &now, answerResult(ctl.cmd)
	if ctl.move > 0 {
		due := stopDue(c, ctl)
		report(c, gbv1.CommandSent, gbv1.ReasonSent, fmt.Sprintf("%s is moving; the stop goes at %s", target(c, cam), due.UTC().Format(time.RFC3339Nano)))
		return ctrl.Result{RequeueAfter: max(due.Sub(r.opts.now()), time.Millisecond)}, r.written(ctx, orig, c, cam)
	}
	// The device holds the preset now: whoever lists presets may ask, whatever becomes
	// of the status write.
	r.presetsChanged(ctl, cam.Spec.DeviceID)
	r.complete(c, gbv1.CommandSucceeded, gbv1.ReasonDone, fmt.Sprintf("%s carried out %s", target(c, cam), ctl.text))
	return ctrl.Result{}, r.written(ctx, orig, c, cam)
}

// bounded takes a slot of MaxInFlight and a token of the Camera's bucket, or reports
// the command held back (Pending, TooManyCommands) and when to try again.
func (r *reconciler) bounded(ctx context.Context, o observation) (held bool, res ctrl.Result) {
	c, cam := o.cmd, o.camera
	var message string
	var wait time.Duration
	switch {
	case !r.flights.tryAcquire():
		wait = r.opts.RetryInterval
		message = fmt.Sprintf("%d commands await their devices' answers, the operator's bound", r.opts.MaxInFlight)
	default:
		wait = r.buckets.take(cam.UID, o.now)
		if wait == 0 {
			return false, ctrl.Result{}
		}
		r.flights.release()
		message = fmt.Sprintf("Camera %q takes at most %g commands a second (a burst of %d)", cam.Name, r.opts.CommandsPerSecond, r.opts.CommandBurst)
	}
	orig := c.DeepCopy()
	c.Status.Command = o.control.text
	report(c, gbv1.CommandPending, gbv1.ReasonTooManyCommands, message)
	if err := r.writeStatus(ctx, orig, c); err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("writing TooManyCommands failed", "error", err)
	} else {
		r.tell(orig, c, cam)
	}
	return true, ctrl.Result{RequeueAfter: wait}
}

// stopAfterFailure sends the stop after a move that failed (a timeout may hide a move
// the device took) and says how that went, for the condition's message.
func (r *reconciler) stopAfterFailure(ctx context.Context, c *gbv1.CameraCommand, cam *gbv1.Camera) string {
	err := r.control(ctx, cam, devices.ChannelOf(c.Spec.ChannelID, cam), stopControl)
	if err != nil {
		return "; the stop sent after it failed too: " + err.Error()
	}
	now := metav1.NewMicroTime(r.opts.now())
	c.Status.StoppedAt = &now
	return "; the stop was sent after it"
}

// stop sends the stop of a move that is due, overdue, or deleted, then completes the
// command (or lets the deleted one go). A stop that fails is retried for
// StopRetryWindow past its due time.
func (r *reconciler) stop(ctx context.Context, o observation) (ctrl.Result, error) {
	c, ctl, cam := o.cmd, o.control, o.camera
	deleting := !c.DeletionTimestamp.IsZero()
	if !deleting {
		if err := r.sleepUntil(ctx, stopDue(c, ctl)); err != nil {
			return ctrl.Result{}, err
		}
	}
	var err error
	if cam == nil {
		err = fmt.Errorf("%w: Camera %q does not exist", sipd.ErrNotRegistered, c.Spec.CameraRef.Name)
	} else {
		err = r.control(ctx, cam, devices.ChannelOf(c.Spec.ChannelID, cam), stopControl)
	}
	out := outcomeOf(err, "the stop")
	orig := c.DeepCopy()
	now := metav1.NewMicroTime(r.opts.now())
	switch {
	case out.result == interrupted:
		return ctrl.Result{}, err // the next leader stops it
	case out.result == answered:
		c.Status.StoppedAt = &now
		r.tellStopped(c, cam, deleting)
		if deleting {
			return ctrl.Result{}, r.release(ctx, c)
		}
		if c.Status.AnsweredAt == nil {
			r.complete(c, gbv1.CommandFailed, gbv1.ReasonInterrupted,
				"the operator stopped after sending the move and before the device answered it; the stop was sent when due")
		} else {
			r.complete(c, gbv1.CommandSucceeded, gbv1.ReasonDone,
				fmt.Sprintf("%s moved for %s, then stopped", target(c, cam), now.Sub(c.Status.SentAt.Time).Round(time.Millisecond)))
		}
	case !stopGivenUp(c, ctl, o.now, r.opts):
		ctrl.LoggerFrom(ctx).Info("the stop of a move failed; retrying", "error", err)
		return ctrl.Result{RequeueAfter: r.opts.RetryInterval}, nil
	default:
		ctrl.LoggerFrom(ctx).Info("the stop of a move failed; giving up", "error", err)
		r.tellStopFailed(c, cam, out.message)
		if deleting {
			return ctrl.Result{}, r.release(ctx, c)
		}
		r.complete(c, gbv1.CommandFailed, out.reason, fmt.Sprintf("the stop of the move failed for %s (%s): the camera may still be moving", r.opts.StopRetryWindow, out.message))
	}
	if err := r.written(ctx, orig, c, cam); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.release(ctx, c)
}

// sleepUntil waits for t (at most stopLead away: decideSent starts the stop's reconcile
// that much early), or until ctx ends.
func (r *reconciler) sleepUntil(ctx context.Context, t time.Time) error {
	wait := t.Sub(r.opts.now())
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(min(wait, stopLead))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// control sends one DeviceControl to cam's device, through a binding cam owns, within
// ControlTimeout.
func (r *reconciler) control(ctx context.Context, cam *gbv1.Camera, channel string, cmd manscdp.ControlCommand) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.ControlTimeout)
	defer cancel()
	return r.reg.Control(ctx, sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)}, channel, cmd)
}

// release removes the stop finalizer, if present.
func (r *reconciler) release(ctx context.Context, c *gbv1.CameraCommand) error {
	return client.IgnoreNotFound(r.patchFinalizers(ctx, c, controllerutil.RemoveFinalizer))
}

// patchFinalizers adds or removes the stop finalizer (change) with a patch of the
// metadata alone. An update would send the spec back as this client serializes it,
// without the zero fields a user may have written (tilt: 0), and the API server would
// refuse it as a change of the spec.
func (r *reconciler) patchFinalizers(ctx context.Context, c *gbv1.CameraCommand, change func(client.Object, string) bool) error {
	orig := c.DeepCopy()
	if !change(c, stopFinalizer) {
		return nil
	}
	return r.client.Patch(ctx, c, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
}

// complete ends the command in phase (Succeeded or Failed).
func (r *reconciler) complete(c *gbv1.CameraCommand, phase gbv1.CameraCommandPhase, reason, message string) {
	now := metav1.NewTime(r.opts.now())
	c.Status.CompletionTime = &now
	report(c, phase, reason, message)
}

// report sets the phase and the Succeeded condition.
func report(c *gbv1.CameraCommand, phase gbv1.CameraCommandPhase, reason, message string) {
	status := metav1.ConditionUnknown
	switch phase {
	case gbv1.CommandSucceeded:
		status = metav1.ConditionTrue
	case gbv1.CommandFailed:
		status = metav1.ConditionFalse
	}
	c.Status.Phase = phase
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{
		Type: gbv1.ConditionSucceeded, Status: status, Reason: reason,
		Message: devices.Clean(message, maxConditionMessage), ObservedGeneration: c.Generation,
	})
	c.Status.ObservedGeneration = c.Generation
}

// target names where a command goes, for messages.
func target(c *gbv1.CameraCommand, cam *gbv1.Camera) string {
	if ch := devices.ChannelOf(c.Spec.ChannelID, cam); ch != cam.Spec.DeviceID {
		return fmt.Sprintf("device %s channel %s", cam.Spec.DeviceID, ch)
	}
	return "device " + cam.Spec.DeviceID
}

// written writes c's status and records the Event of the change.
func (r *reconciler) written(ctx context.Context, orig, c *gbv1.CameraCommand, cam *gbv1.Camera) error {
	if err := r.writeStatus(ctx, orig, c); err != nil {
		return err
	}
	r.tell(orig, c, cam)
	return nil
}

// writeStatus writes c's status when it differs from orig's. The status may hold what a
// device just answered: a conflict must not lose it (dependents.WriteStatus).
func (r *reconciler) writeStatus(ctx context.Context, orig, c *gbv1.CameraCommand) error {
	return dependents.WriteStatus(ctx, r.api, orig, c, statusOf, func() error { return r.client.Status().Update(ctx, c) })
}

// statusOf is c's status, for dependents.WriteStatus.
func statusOf(c *gbv1.CameraCommand) *gbv1.CameraCommandStatus { return &c.Status }
