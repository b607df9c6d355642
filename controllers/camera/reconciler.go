package camera

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// conflictRetryDelay is how long to wait before recomputing a status whose write lost a
// race with another change of the Camera; the cache has caught up by then.
const conflictRetryDelay = 200 * time.Millisecond

// staleCacheDelay is how long to wait for this replica's own last write to reach the
// cache before computing a Camera's status again.
const staleCacheDelay = time.Second

// requeueMargin is added to computed deadlines so the reconcile runs just after them.
const requeueMargin = 50 * time.Millisecond

// errStaleCache: a Camera in the cache predates this replica's last write of it.
var errStaleCache = errors.New("the cache has not caught up with the last status write")

// reconciler writes Camera status from the registrar's view of each device. Its
// requests are device IDs, not Cameras: one device's registration, keepalives and
// queries decide the status of every Camera claiming its ID (the oldest owns it, the
// others show Conflict), so a device's changes are one workqueue item however many
// Cameras name it, and ownership is decided in one place. It is the only writer of
// Camera status. Its memory is bounded by the number of Cameras.
type reconciler struct {
	client   client.Client
	status   *statusPutter // the status writes (statusput.go)
	reader   client.Reader // the informer cache
	reg      Registrar
	store    *CredentialStore
	queries  *querier
	events   *deviceEvents // subscriptions and what devices tell (deviceevents.go)
	recorder events.EventRecorder
	// leases records liveness between status writes (lease.go); nil when liveness goes
	// to the status alone (Options.LivenessInStatus).
	leases *leases
	opts   Options
	// writePace holds status writes back while the registrar falls behind (pacer.go).
	writePace *pacer
	logger    logr.Logger

	mu sync.Mutex
	// memos remembers, per device and Camera, what outlives one reconcile. A slice,
	// not a map by UID: almost every device has one Camera, and a map per device would
	// cost a quarter of a kilobyte each.
	memos map[string][]*cameraMemo
	// watchedSince: device IDs seeded as Registered, and when (see observation).
	watchedSince map[string]time.Time
}

// cameraMemo is the reconciler's memory of one Camera.
type cameraMemo struct {
	uid types.UID
	// lastWrite is when this replica last wrote the Camera's status, leaseRenewedAt its
	// Lease (before the first renewal, the moment leaseSpread gives), and lease what it
	// knows of that Lease.
	lastWrite      time.Time
	leaseRenewedAt time.Time
	lease          leaseState
	// staleRV is the resourceVersion the Camera had before this replica's last write,
	// until the cache shows a newer one: a reconcile that still reads it would compute
	// from a status that is already out of date.
	staleRV string
	// authFailureSeen is the registrar's latest auth failure already reported, and
	// authEventAt when an AuthenticationFailed Event was last recorded.
	authFailureSeen time.Time
	authEventAt     time.Time
}

// Reconcile brings the status of every Camera claiming deviceID up to date: gather the
// Cameras and the device's state, settle who owns the device, then compute and write
// each Camera's status.
func (r *reconciler) Reconcile(ctx context.Context, deviceID string) (ctrl.Result, error) {
	// Statuses computed before the registrar is seeded would report every registered
	// device as gone.
	select {
	case <-r.store.Ready():
	case <-ctx.Done():
		return ctrl.Result{}, nil // shutting down before this replica led
	}
	cams, err := devices.CamerasWithID(ctx, r.reader, deviceID)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.retainMemos(deviceID, cams)
	winner := devices.Elect(cams)
	if winner == nil {
		r.release(deviceID)
		return ctrl.Result{}, nil
	}
	dev := r.claim(ctx, deviceID, winner)

	var next time.Time
	var errs []error
	for i := range cams {
		if cams[i].DeletionTimestamp != nil {
			continue
		}
		// The cache's objects are shared: work on a copy.
		at, err := r.reconcileCamera(ctx, cams[i].DeepCopy(), winner, dev)
		switch {
		case errors.Is(err, errStaleCache):
			at = r.opts.now().Add(staleCacheDelay)
		case err != nil:
			errs = append(errs, err)
		}
		next = earliest(next, at)
	}
	if err := errors.Join(errs...); err != nil {
		return ctrl.Result{}, err
	}
	if next.IsZero() {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: max(next.Sub(r.opts.now()), 0) + requeueMargin}, nil
}

// claim settles who owns deviceID's registration: a binding accepted with another
// Camera's credentials (its owner was deleted, or lost an election it had won before a
// cache resync), or one of a suspended Camera, is dropped, and the device must
// authenticate again. It returns the device's state after that.
func (r *reconciler) claim(ctx context.Context, deviceID string, winner *gbv1.Camera) sipd.DeviceState {
	dev := r.reg.Device(deviceID)
	b := dev.Binding
	if b == nil || (b.Owner == string(winner.UID) && !winner.Spec.Suspend) {
		return dev
	}
	dropped := false
	if b.Owner == "" {
		r.reg.Drop(deviceID)
		dropped = true
	} else {
		dropped = r.reg.DropOwned(deviceID, b.Owner)
	}
	if dropped {
		log.FromContext(ctx).Info("dropped a registration its Camera no longer vouches for",
			"deviceID", deviceID, "owner", b.Owner, "camera", client.ObjectKeyFromObject(winner), "suspended", winner.Spec.Suspend)
		if b.Owner != string(winner.UID) {
			r.queries.forget(deviceID)
			r.events.forget(deviceID)
			r.mu.Lock()
			delete(r.watchedSince, deviceID)
			r.mu.Unlock()
		}
	}
	return r.reg.Device(deviceID)
}

// release forgets a device no Camera claims any more: its registration (its next
// keepalive gets 404) and what was learnt by querying it.
func (r *reconciler) release(deviceID string) {
	r.mu.Lock()
	delete(r.memos, deviceID)
	delete(r.watchedSince, deviceID)
	r.mu.Unlock()
	r.reg.Drop(deviceID)
	r.queries.forget(deviceID)
	r.events.forget(deviceID)
}

// retainMemos forgets the memory of Cameras that no longer claim deviceID.
func (r *reconciler) retainMemos(deviceID string, cams []gbv1.Camera) {
	r.mu.Lock()
	defer r.mu.Unlock()
	memos := r.memos[deviceID]
	kept := memos[:0]
	for _, m := range memos {
		for i := range cams {
			if cams[i].UID == m.uid {
				kept = append(kept, m)
				break
			}
		}
	}
	clear(memos[len(kept):])
	if len(kept) == 0 {
		delete(r.memos, deviceID)
		return
	}
	r.memos[deviceID] = kept
}

// memo returns the memory of a Camera, creating it; r.mu must be held.
func (r *reconciler) memo(cam *gbv1.Camera) *cameraMemo {
	id := cam.Spec.DeviceID
	for _, m := range r.memos[id] {
		if m.uid == cam.UID {
			return m
		}
	}
	m := &cameraMemo{uid: cam.UID}
	if r.leases != nil {
		m.leaseRenewedAt = leaseSpread(id, r.opts.now(), r.opts.KeepaliveStatusInterval)
	}
	r.memos[id] = append(r.memos[id], m)
	return m
}

// leaseSpread is when a replica that has just met a Camera takes its liveness to have been
// recorded: up to an interval before now, by device ID. A new leader finds the statuses'
// lastKeepaliveTime up to 12 intervals old (lease.go) and knows nothing of the Leases; were
// every Camera's liveness due at once, the fleet's first keepalives would bring a Lease
// read and update each within a keepalive period. Spread, they come over an interval,
// as they do in steady state.
func leaseSpread(deviceID string, now time.Time, interval time.Duration) time.Time {
	h := fnv.New64a()
	_, _ = h.Write([]byte(deviceID))
	return now.Add(-time.Duration(h.Sum64() % uint64(interval)))
}

// reconcileCamera computes one Camera's status, writes what changed, and returns when
// the Camera must be looked at again (zero: on the next change only).
func (r *reconciler) reconcileCamera(ctx context.Context, cam *gbv1.Camera, winner *gbv1.Camera, dev sipd.DeviceState) (time.Time, error) {
	r.mu.Lock()
	m := r.memo(cam)
	if m.staleRV != "" {
		if cam.ResourceVersion == m.staleRV {
			r.mu.Unlock()
			return time.Time{}, errStaleCache
		}
		m.staleRV = ""
	}
	lastWrite := m.lastWrite
	// When liveness was last recorded, in the status or the Lease.
	lastRecord := latest(lastWrite, m.leaseRenewedAt)
	lease := m.lease
	r.mu.Unlock()

	o := r.observe(ctx, cam, winner, dev)
	owner := o.winner == ""
	desired, next := buildStatus(o)
	if owner && desired.State == gbv1.StateRegistered {
		b := o.device.Binding
		// The registrar sees every keepalive: it signals the device if it falls silent,
		// so only the registration's expiry is left to look at here.
		if r.reg.WatchSilence(cam.Spec.DeviceID, b.RegisteredAt, keepaliveDeadline(o), o.keepaliveTimeout()) {
			next = b.ExpiresAt
		}
		next = earliest(next, r.queries.due(queryWantOf(cam, b, r.opts.MaxPresetChannels)))
	}
	if owner {
		next = earliest(next, r.events.due(cam, o.device.Binding, o.now))
	}

	recorded := &cam.Status
	if needsWrite(&cam.Status, &desired, lastRecord, o.now, r.opts.KeepaliveStatusInterval) {
		if owner && r.inLease(&cam.Status, &desired, o, lastWrite) && r.renewLease(ctx, cam, m, livenessOf(o), lease, o.now) {
			lastRecord = o.now
		} else {
			if err := r.writeStatus(ctx, cam, desired, m, o.now); err != nil {
				if apierrors.IsConflict(err) {
					return o.now.Add(conflictRetryDelay), nil
				}
				return time.Time{}, err
			}
			recorded, lastWrite, lastRecord = &desired, o.now, o.now
		}
	}
	if owner {
		// Written, or already in the status (what is left unwritten, or recorded in the
		// Lease, is liveness only).
		r.queries.consumed(cam.Spec.DeviceID, o.query)
		r.events.consumed(cam.Spec.DeviceID, o.events)
		next = earliest(next, r.quiet(cam.Spec.DeviceID, o.device.Binding, recorded, &desired, lastWrite, lastRecord))
		if !cam.Spec.Suspend {
			r.reportAuthFailure(cam, m, o.device, o.now)
		}
	}
	return next, nil
}

// observe gathers everything cam's status is computed from.
func (r *reconciler) observe(ctx context.Context, cam *gbv1.Camera, winner *gbv1.Camera, dev sipd.DeviceState) observation {
	o := observation{
		now:        r.opts.now(),
		generation: cam.Generation,
		deviceID:   cam.Spec.DeviceID,
		spec:       cam.Spec,
		old:        cam.Status,
		shard:      r.opts.Shard,
		creds:      resolveSecret(ctx, r.reader, r.store.secrets, cam),
		clock:      clockOptions{location: r.opts.Location, maxOffset: r.opts.MaxClockOffset},
	}
	if winner.UID != cam.UID {
		o.winner = winnerName(cam, winner)
		return o
	}
	if cam.Status.State == gbv1.StateSuspended && !cam.Spec.Suspend && dev.Binding == nil {
		// Resumed: what the registrar remembers of the suspension (the REGISTERs it
		// refused meanwhile) is not the device's fault. A binding present now was
		// accepted after the resume, and is kept.
		r.reg.Drop(cam.Spec.DeviceID)
		dev = r.reg.Device(cam.Spec.DeviceID)
	}
	o.device = dev
	o.query = r.queries.result(cam.Spec.DeviceID)
	o.events = r.events.observe(cam.Spec.DeviceID, cam.UID)
	r.mu.Lock()
	o.watchedSince = r.watchedSince[cam.Spec.DeviceID]
	r.mu.Unlock()
	return o
}

// winnerName names the Camera that owns the device ID cam claims, for cam's status: by
// name in cam's own namespace, not at all in another one, whose Cameras a user of cam's
// namespace may have no right to know of.
func winnerName(cam, winner *gbv1.Camera) string {
	if winner.Namespace == cam.Namespace {
		return "the older Camera " + winner.Name
	}
	return "an older Camera in another namespace"
}

// writeStatus updates cam's status to desired and records the Events of the change.
func (r *reconciler) writeStatus(ctx context.Context, cam *gbv1.Camera, desired gbv1.CameraStatus, m *cameraMemo, now time.Time) error {
	logger := log.FromContext(ctx)
	if !r.writePace.wait(ctx, r.opts.now()) {
		return nil // shutting down
	}
	statusWriteCauses.WithLabelValues(statusWriteCause(&cam.Status, &desired)).Inc()
	orig := cam.DeepCopy()
	cam.Status = desired
	// An update of the status subresource, not a merge patch: the API server refuses it
	// when the resourceVersion is not the latest, as the optimistic lock of a patch
	// would, and is spared re-encoding the stored object to apply a patch to it, about
	// 7 % of its CPU per write (BenchmarkStatusWrite). The body is the status alone, the
	// Camera named by its name, UID and resourceVersion: the API server takes the spec
	// and metadata from the stored object on a status write (and keeps the managed
	// fields and annotations our cache dropped), so sending them only cost it decoding,
	// validating and comparing them, about 5 % more. The putter reads the answer for the
	// new resourceVersion alone (statusput.go).
	body := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: cam.Namespace, UID: cam.UID,
		ResourceVersion: cam.ResourceVersion}, Status: desired}
	rv, err := r.status.put(ctx, body)
	if err == nil {
		cam.ResourceVersion = rv
	}
	switch {
	case apierrors.IsConflict(err):
		logger.V(1).Info("status write conflicted with another change; retrying", "camera", client.ObjectKeyFromObject(cam))
		return err
	case apierrors.IsNotFound(err):
		return nil // deleted meanwhile: its delete event brings the device back
	case err != nil && ctx.Err() != nil:
		return nil // shutting down
	case err != nil:
		return fmt.Errorf("write status of Camera %s: %w", client.ObjectKeyFromObject(cam), err)
	}
	r.mu.Lock()
	m.lastWrite = now
	if cam.ResourceVersion != orig.ResourceVersion {
		m.staleRV = orig.ResourceVersion
	}
	r.mu.Unlock()
	if orig.Status.State != desired.State {
		logger.Info("camera state changed", "camera", client.ObjectKeyFromObject(cam), "deviceID", cam.Spec.DeviceID,
			"from", orig.Status.State, "to", desired.State)
	}
	for _, ev := range transitionEvents(&orig.Status, &desired) {
		r.recorder.Eventf(cam, nil, ev.eventType, ev.reason, ev.action, "%s", ev.note)
	}
	return nil
}

// inLease reports whether a due change of liveness alone goes to the Camera's Lease rather
// than its status: while the device is Registered and the status's own liveness write is
// not due (statusLivenessDue).
func (r *reconciler) inLease(old, desired *gbv1.CameraStatus, o observation, lastWrite time.Time) bool {
	return r.leases != nil && desired.State == gbv1.StateRegistered && o.device.Binding != nil && r.leases.usable(o.now) &&
		livenessOnly(old, desired) && o.now.Before(statusLivenessDue(old, lastWrite, r.opts.KeepaliveStatusInterval))
}

// renewLease records l in cam's Lease, paced as status writes are. It returns false when
// it could not (the Lease is another's, or the write failed): the status records it then.
func (r *reconciler) renewLease(ctx context.Context, cam *gbv1.Camera, m *cameraMemo, l liveness, known leaseState, now time.Time) bool {
	if !r.writePace.wait(ctx, r.opts.now()) {
		return false // shutting down
	}
	state, err := r.leases.renew(ctx, cam, l, known)
	r.mu.Lock()
	m.lease = state
	if err == nil {
		m.leaseRenewedAt = now
	}
	r.mu.Unlock()
	switch {
	case err == nil:
		return true
	case errors.Is(err, errForeignLease):
		if !known.notOurs {
			log.FromContext(ctx).Info("a Lease named after the Camera is not its own; its liveness is written in its status instead",
				"camera", client.ObjectKeyFromObject(cam))
		}
	case apierrors.IsForbidden(err):
		r.leases.refused(err, now) // logged once for all Cameras
	case ctx.Err() == nil:
		log.FromContext(ctx).Info("writing the Camera's liveness Lease failed; its status records liveness instead",
			"camera", client.ObjectKeyFromObject(cam), "error", err.Error())
	}
	return false
}

// quiet tells the registrar which of the device's keepalives and refreshes it need not
// signal: while the recorded status says Registered, those before liveness is next due
// to be recorded (lastRecord, in the status or the Lease) change nothing that would be
// written. Offline detection does not depend on them: it is a deadline (buildStatus's
// next). It returns when the pending liveness change is due, if there is one: none while
// the Lease holds the latest (renewed since the status was written, lastWrite), as after
// a status write; the registrar signals the first keepalive after the next is due.
func (r *reconciler) quiet(deviceID string, b *sipd.Binding, recorded, desired *gbv1.CameraStatus, lastWrite, lastRecord time.Time) time.Time {
	if b == nil {
		return time.Time{}
	}
	if recorded.State != gbv1.StateRegistered {
		// An Offline device's next keepalive is news.
		r.reg.Quiet(deviceID, b.RegisteredAt, time.Time{})
		return time.Time{}
	}
	due := livenessDue(recorded, lastRecord, r.opts.KeepaliveStatusInterval)
	leaseHolds := r.leases != nil && lastRecord.After(lastWrite)
	if leaseHolds {
		// The status's own liveness write needs a keepalive signalled when it is due.
		due = earliest(due, statusLivenessDue(recorded, lastWrite, r.opts.KeepaliveStatusInterval))
	}
	r.reg.Quiet(deviceID, b.RegisteredAt, due)
	if leaseHolds || recorded == desired || equality.Semantic.DeepEqual(recorded, desired) {
		return time.Time{}
	}
	return due
}

// reportAuthFailure records an AuthenticationFailed Event for a new failure of the
// device, at most every AuthFailureEventInterval per Camera.
func (r *reconciler) reportAuthFailure(cam *gbv1.Camera, m *cameraMemo, dev sipd.DeviceState, now time.Time) {
	r.mu.Lock()
	if !dev.LastAuthFailure.After(m.authFailureSeen) {
		r.mu.Unlock()
		return
	}
	m.authFailureSeen = dev.LastAuthFailure
	if !m.authEventAt.IsZero() && now.Sub(m.authEventAt) < r.opts.AuthFailureEventInterval {
		r.mu.Unlock()
		return
	}
	m.authEventAt = now
	r.mu.Unlock()
	note := "a REGISTER of the device failed authentication"
	if dev.AuthFailureReason != "" {
		note += ": " + dev.AuthFailureReason
	}
	r.recorder.Eventf(cam, nil, "Warning", eventAuthenticationFailed, actionRegister, "%s", note)
}
