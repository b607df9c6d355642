package recording

import (
	"context"
	"fmt"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// reconciler answers RecordingQueries: one reconcile gathers the query, its Camera and
// the registrar's view, decides (decide), then acts: one status write, or the query
// (Running, the device's answer, the outcome), or the deletion of an expired one.
type reconciler struct {
	client client.Client
	// api reads from the API server: a query not finished yet, whose cached copy may
	// predate this replica's own writes (a query sent twice would ask the device
	// twice), and the Camera of another shard.
	api    client.Reader
	reader client.Reader
	reg    Registrar
	opts   Options
	slots  *querySlots
	// recorder records the queries' Events (events.go); nil records none.
	recorder events.EventRecorder
}

// Reconcile implements reconcile.Reconciler for a RecordingQuery's namespace/name.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if err := dependents.WaitForRegistrar(ctx, r.reg); err != nil {
		return ctrl.Result{}, err
	}
	rq, err := r.query(ctx, req.NamespacedName)
	if rq == nil || err != nil {
		return ctrl.Result{}, err
	}
	cam, elsewhere, err := devices.CameraOf(ctx, r.reader, r.api, types.NamespacedName{Namespace: rq.Namespace, Name: rq.Spec.CameraRef.Name})
	if err != nil || elsewhere {
		return ctrl.Result{}, err
	}
	o := r.gather(rq, cam)
	p := decide(o, r.opts)
	switch p.action {
	case expire:
		ctrl.LoggerFrom(ctx).V(1).Info("deleting a finished query past its TTL")
		return ctrl.Result{}, client.IgnoreNotFound(r.client.Delete(ctx, rq, client.Preconditions{UID: &rq.UID}))
	case keep:
		return ctrl.Result{RequeueAfter: p.requeue}, nil
	case send:
		return r.send(ctx, rq, cam)
	}
	orig := rq.DeepCopy()
	phase := gbv1.RecordingQueryPending
	if p.action == fail {
		phase = gbv1.RecordingQueryFailed
	}
	setPhase(rq, phase, p.reason, p.message, o.now)
	if err := r.writeStatus(ctx, orig, rq); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.tell(orig, rq)
	return ctrl.Result{RequeueAfter: p.requeue}, nil
}

// query reads the query from the cache, and one not finished yet from the API server:
// only a current copy may decide to send it. Nil when it is gone or being deleted.
func (r *reconciler) query(ctx context.Context, key types.NamespacedName) (*gbv1.RecordingQuery, error) {
	rq := &gbv1.RecordingQuery{}
	err := r.reader.Get(ctx, key, rq)
	if err == nil && !finished(rq) {
		err = r.api.Get(ctx, key, rq)
	}
	if kerrors.IsNotFound(err) || (err == nil && !rq.DeletionTimestamp.IsZero()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rq, nil
}

// gather is the registrar's view of cam's device (cam nil: the Camera does not exist).
func (r *reconciler) gather(rq *gbv1.RecordingQuery, cam *gbv1.Camera) observation {
	o := observation{rq: rq, camera: cam, now: r.opts.now()}
	if cam != nil {
		o.binding = r.reg.Device(cam.Spec.DeviceID).Binding
	}
	return o
}

// send asks the device, within the bounds of queries in flight: Running is written
// first, then the outcome.
func (r *reconciler) send(ctx context.Context, rq *gbv1.RecordingQuery, cam *gbv1.Camera) (ctrl.Result, error) {
	orig := rq.DeepCopy()
	release, ok := r.slots.take(cam.UID)
	if !ok {
		setPhase(rq, gbv1.RecordingQueryPending, gbv1.ReasonTooManyQueries, fmt.Sprintf(
			"%d queries of Camera %q, or %d in all, are in flight", r.opts.MaxQueriesPerCamera, cam.Name, r.opts.MaxConcurrentQueries), r.opts.now())
		if err := r.writeStatus(ctx, orig, rq); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		r.tell(orig, rq)
		return ctrl.Result{RequeueAfter: r.opts.RetryInterval}, nil
	}
	defer release()

	channel := devices.ChannelOf(rq.Spec.ChannelID, cam)
	now := r.opts.now()
	started := metav1.NewTime(now)
	rq.Status = gbv1.RecordingQueryStatus{Conditions: rq.Status.Conditions, StartTime: &started}
	setPhase(rq, gbv1.RecordingQueryRunning, gbv1.ReasonQueryRunning, fmt.Sprintf("RecordInfo of channel %s sent to %s", channel, cam.Spec.DeviceID), now)
	if err := r.writeStatus(ctx, orig, rq); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err) // gone: nobody wants the answer
	}
	r.tell(orig, rq)

	qctx, cancel := context.WithTimeout(ctx, r.opts.QueryTimeout)
	ans, err := r.reg.QueryRecordInfo(qctx, sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)}, recordQuery(rq, channel), r.opts.Location)
	cancel()
	running := rq.DeepCopy()
	if recordOutcome(rq, ans, err, r.opts.Location, r.opts.now()) != nil {
		return ctrl.Result{}, nil // the registrar stops: Running stays for the next leader
	}
	ctrl.LoggerFrom(ctx).Info("RecordInfo answered", "phase", rq.Status.Phase, "sumNum", rq.Status.SumNum, "total", rq.Status.Total, "error", err)
	if err := r.writeStatus(ctx, running, rq); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.tell(running, rq)
	if finished(rq) {
		return ctrl.Result{RequeueAfter: max(ttlOf(rq, r.opts), time.Millisecond)}, nil
	}
	return ctrl.Result{RequeueAfter: r.opts.RetryInterval}, nil
}

// recordQuery is the RecordInfo query rq asks for of channel.
func recordQuery(rq *gbv1.RecordingQuery, channel string) manscdp.RecordQuery {
	typ := string(rq.Spec.Type)
	if typ == "" {
		typ = manscdp.RecordAll
	}
	return manscdp.RecordQuery{
		DeviceID: channel,
		Start:    rq.Spec.TimeRange.Start.Time,
		End:      rq.Spec.TimeRange.End.Time,
		FilePath: rq.Spec.FilePath,
		Secrecy:  int(rq.Spec.Secrecy),
		Type:     typ,
	}
}

// writeStatus writes rq's status when it differs from orig's; a conflict (someone
// changed the query's labels meanwhile) does not lose it (dependents.WriteStatus).
func (r *reconciler) writeStatus(ctx context.Context, orig, rq *gbv1.RecordingQuery) error {
	return dependents.WriteStatus(ctx, r.api, orig, rq, statusOf, func() error { return r.client.Status().Update(ctx, rq) })
}

// statusOf is rq's status, for dependents.WriteStatus.
func statusOf(rq *gbv1.RecordingQuery) *gbv1.RecordingQueryStatus { return &rq.Status }
