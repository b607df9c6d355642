package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// conflictRetryDelay is how long to wait before recomputing a status whose write lost a
// race with another change of the Camera; the cache has caught up by then.
const conflictRetryDelay = 200 * time.Millisecond

// requeueMargin is added to computed deadlines so the reconcile runs just after them.
const requeueMargin = 50 * time.Millisecond

// CameraReconciler writes Camera status from the registrar's view of each device. It is
// the only writer of Camera status. Its memory (below) is bounded by the number of
// Cameras: entries are added for Cameras that exist and removed when they are deleted.
type CameraReconciler struct {
	client   client.Client
	reader   client.Reader
	reg      Registrar
	store    *CredentialStore
	queries  *querier
	recorder events.EventRecorder
	opts     Options
	logger   logr.Logger

	mu sync.Mutex
	// cameras remembers, per Camera, what outlives one reconcile.
	cameras map[types.NamespacedName]*cameraMemo
	// served maps a device ID to the UID of the Camera whose credentials its binding was
	// accepted with, so deleting that Camera (and only that one) drops the binding.
	served map[string]types.UID
	// watchedSince: device IDs seeded as Registered, and when (see observation).
	watchedSince map[string]time.Time
}

// cameraMemo is the reconciler's memory of one Camera.
type cameraMemo struct {
	uid      types.UID
	deviceID string
	// lastWrite is when this replica last wrote the Camera's status.
	lastWrite time.Time
	// staleRV is the resourceVersion the Camera had before this replica's last write,
	// until the cache shows a newer one: a reconcile that still reads it would compute
	// from a status that is already out of date.
	staleRV string
	// authFailureSeen is the registrar's latest auth failure already reported, and
	// authEventAt when an AuthenticationFailed Event was last recorded.
	authFailureSeen time.Time
	authEventAt     time.Time
}

// memo returns the memory of a Camera, creating it.
func (r *CameraReconciler) memo(key types.NamespacedName, cam *gbv1.Camera) *cameraMemo {
	m := r.cameras[key]
	if m == nil || m.uid != cam.UID {
		m = &cameraMemo{uid: cam.UID, deviceID: cam.Spec.DeviceID}
		r.cameras[key] = m
	}
	return m
}

// Reconcile computes a Camera's status and writes what changed.
func (r *CameraReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)

	// Statuses computed before the registrar is seeded would report every registered
	// device as gone.
	select {
	case <-r.store.Ready():
	case <-ctx.Done():
		return ctrl.Result{}, nil // shutting down before this replica led
	}

	var cam gbv1.Camera
	if err := r.reader.Get(ctx, req.NamespacedName, &cam); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName, "")
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if cam.DeletionTimestamp != nil {
		r.forget(req.NamespacedName, cam.UID)
		return ctrl.Result{}, nil
	}

	r.mu.Lock()
	m := r.memo(req.NamespacedName, &cam)
	if m.staleRV != "" {
		if cam.ResourceVersion == m.staleRV {
			r.mu.Unlock()
			// Our last write is not in the cache yet; its watch event brings us back.
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		m.staleRV = ""
	}
	r.mu.Unlock()

	peers, err := camerasWithDeviceID(ctx, r.reader, cam.Spec.DeviceID)
	if err != nil {
		return ctrl.Result{}, err
	}
	winner := elect(peers)
	if winner == nil {
		// The index has not caught up with the Camera just read; it will.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	o := observation{
		now:        r.opts.now(),
		generation: cam.Generation,
		deviceID:   cam.Spec.DeviceID,
		spec:       cam.Spec,
		old:        cam.Status,
		creds:      resolveSecret(ctx, r.reader, &cam),
	}
	owner := winner.UID == cam.UID
	if !owner {
		o.winner = winner.Namespace + "/" + winner.Name
	} else {
		r.own(&cam)
		o.device = r.reg.Device(cam.Spec.DeviceID)
		if cam.Status.State == gbv1.StateSuspended && !cam.Spec.Suspend && o.device.Binding == nil {
			// Resumed: what the registrar remembers of the suspension (the REGISTERs it
			// refused meanwhile) is not the device's fault. A binding present now was
			// accepted after the resume, and is kept.
			r.reg.Drop(cam.Spec.DeviceID)
			o.device = r.reg.Device(cam.Spec.DeviceID)
		}
		o.query = r.queries.result(cam.Spec.DeviceID)
		r.mu.Lock()
		o.watchedSince = r.watchedSince[cam.Spec.DeviceID]
		r.mu.Unlock()
	}

	desired, next := buildStatus(o)
	if owner && desired.State == gbv1.StateRegistered && !cam.Spec.Catalog.Disabled {
		var refresh time.Duration
		if ri := cam.Spec.Catalog.RefreshInterval; ri != nil {
			refresh = ri.Duration
		}
		next = earliest(next, r.queries.due(cam.Spec.DeviceID, o.device.Binding.RegisteredAt, refresh))
	}

	r.mu.Lock()
	lastWrite := m.lastWrite
	r.mu.Unlock()
	if needsWrite(&cam.Status, &desired, lastWrite, o.now, r.opts.KeepaliveStatusInterval) {
		orig := cam.DeepCopy()
		cam.Status = desired
		err := r.client.Status().Patch(ctx, &cam, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}),
			client.FieldOwner(r.opts.ControllerName))
		switch {
		case apierrors.IsConflict(err):
			logger.V(1).Info("status write conflicted with another change; retrying")
			return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
		case apierrors.IsNotFound(err):
			r.forget(req.NamespacedName, cam.UID)
			return ctrl.Result{}, nil
		case err != nil && ctx.Err() != nil:
			return ctrl.Result{}, nil // shutting down
		case err != nil:
			return ctrl.Result{}, fmt.Errorf("write status of Camera %s: %w", req.NamespacedName, err)
		}
		r.mu.Lock()
		m.lastWrite = o.now
		if cam.ResourceVersion != orig.ResourceVersion {
			m.staleRV = orig.ResourceVersion
		}
		r.mu.Unlock()
		if orig.Status.State != desired.State {
			logger.Info("camera state changed", "deviceID", cam.Spec.DeviceID, "from", orig.Status.State, "to", desired.State)
		}
		for _, ev := range transitionEvents(&orig.Status, &desired) {
			r.recorder.Eventf(&cam, nil, ev.eventType, ev.reason, ev.action, "%s", ev.note)
		}
	}
	if owner && !cam.Spec.Suspend {
		r.reportAuthFailure(&cam, m, o.device, o.now)
	}

	if next.IsZero() {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: max(next.Sub(o.now), 0) + requeueMargin}, nil
}

// own makes cam the served owner of its device ID. A binding accepted with another
// Camera's credentials (the previous owner was deleted, or lost an election it had
// won before a cache resync) is dropped: the device must authenticate again. A suspended
// owner's binding is dropped too.
func (r *CameraReconciler) own(cam *gbv1.Camera) {
	id := cam.Spec.DeviceID
	r.mu.Lock()
	prev, known := r.served[id]
	r.served[id] = cam.UID
	if known && prev != cam.UID {
		delete(r.watchedSince, id)
	}
	r.mu.Unlock()
	if (known && prev != cam.UID) || cam.Spec.Suspend {
		if r.reg.Device(id).Binding != nil {
			r.reg.Drop(id)
		}
		if known && prev != cam.UID {
			r.queries.forget(id)
		}
	}
}

// forget drops the memory of a deleted Camera (uid "" when it is already gone from the
// cache) and, when its credentials served the device's binding, drops the binding so
// the device's next keepalive gets 404.
func (r *CameraReconciler) forget(key types.NamespacedName, uid types.UID) {
	r.mu.Lock()
	m := r.cameras[key]
	if m == nil || (uid != "" && m.uid != uid) {
		r.mu.Unlock()
		return
	}
	delete(r.cameras, key)
	id := m.deviceID
	drop := r.served[id] == m.uid
	if drop {
		delete(r.served, id)
		delete(r.watchedSince, id)
	}
	r.mu.Unlock()
	if drop {
		r.reg.Drop(id)
		r.queries.forget(id)
	}
}

// reportAuthFailure records an AuthenticationFailed Event for a new failure of the
// device, at most every AuthFailureEventInterval per Camera.
func (r *CameraReconciler) reportAuthFailure(cam *gbv1.Camera, m *cameraMemo, dev sipd.DeviceState, now time.Time) {
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
	r.recorder.Eventf(cam, nil, "Warning", EventAuthenticationFailed, actionRegister, "%s", note)
}
