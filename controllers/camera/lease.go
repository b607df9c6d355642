package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// A registered device's liveness changes with every keepalive. Written into the Camera's
// status, each record costs the API server what any status write costs: it decodes,
// validates (schema and CEL rules, the spec's included), tracks managed fields of, stores
// and sends to every watcher of Cameras the whole Camera, 3.7 to 4.0 ms of its CPU here.
// Kubernetes met the same cost with node heartbeats and answered it with Leases
// (KEP-589): between two status writes the kubelet renews a small Lease, and writes the
// Node's status only when something else changes or every few minutes. The Camera
// controller does the same. Between two status writes, liveness is recorded in a
// coordination.k8s.io/v1 Lease named after the Camera, in its namespace, owned by it: a
// built-in object the client sends as protobuf, validated by code, watched by no one. A
// renewal costs the API server about a quarter of a status write (BenchmarkStatusWrite's
// lease-renew row). The Lease is the operator's: an update replaces what others add to
// it. The status's liveness fields are still written with every other change, before
// the recorded registration or a live subscription runs out (a new leader seeds its
// registrar from them), and at least every statusLivenessEvery intervals.
//
// The Lease says what a Lease says: holderIdentity is the device ID, acquireTime when it
// registered, renewTime when it was last heard (a keepalive or a refresh), and
// leaseDurationSeconds how long after that the operator takes it for Offline.

// statusLivenessEvery is how many liveness intervals may pass between two writes of the
// status's liveness fields while a Lease records liveness in between: an hour at the
// default interval, so that lastKeepaliveTime is never more than that behind.
const statusLivenessEvery = 12

// leaseWrites counts the liveness Lease writes by result.
var leaseWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "camera_operator_liveness_lease_writes_total",
	Help: "Writes of Cameras' liveness Leases, by result: renewed, created, foreign (a Lease of that name the Camera does not own, left alone: liveness goes to the status) or failed (liveness goes to the status).",
}, []string{"result"})

const (
	leaseRenewed = "renewed"
	leaseCreated = "created"
	leaseForeign = "foreign"
	leaseFailed  = "failed"
)

func init() {
	metrics.Registry.MustRegister(leaseWrites)
	for _, r := range []string{leaseRenewed, leaseCreated, leaseForeign, leaseFailed} {
		leaseWrites.WithLabelValues(r)
	}
}

// The label of the Leases the Camera controller creates: `kubectl get leases -l
// app.kubernetes.io/managed-by=camera-operator` lists them.
const (
	leaseManagedByLabel = "app.kubernetes.io/managed-by"
	leaseManagedBy      = "camera-operator"
)

// errForeignLease: the Lease named after a Camera belongs to something else.
var errForeignLease = errors.New("a Lease of that name is not the Camera's")

// leaseState is what this replica knows of a Camera's Lease.
type leaseState struct {
	// resourceVersion of the Camera's own Lease as last written or read; empty: not
	// looked at since this replica started, or lost to another writer.
	resourceVersion string
	// notOurs: a Lease of that name is another's; liveness goes to the status.
	notOurs bool
}

// liveness is what a Camera's Lease records.
type liveness struct {
	deviceID     string
	registeredAt time.Time
	lastSeen     time.Time
	timeout      time.Duration
}

// livenessOf is the liveness of the registered device o observed.
func livenessOf(o observation) liveness {
	b := o.device.Binding
	return liveness{
		deviceID:     o.deviceID,
		registeredAt: b.RegisteredAt,
		lastSeen:     latest(b.LastKeepalive, b.RegisteredAt, b.ExpiresAt.Add(-b.Expires)),
		timeout:      o.keepaliveTimeout(),
	}
}

// forbiddenRetry is how long liveness goes to the status alone after the API server
// refused a Lease request for want of permission (an upgrade that kept the old RBAC):
// asking for every Camera again would cost a refused request and a log line each.
const forbiddenRetry = 10 * time.Minute

// leases writes Cameras' liveness Leases.
type leases struct {
	client client.Client // writes
	reader client.Reader // the API server itself: Leases are not cached
	owner  string        // field manager
	logger logr.Logger

	mu             sync.Mutex
	forbiddenUntil time.Time
}

// usable reports whether Leases may be tried at now: not while a refusal for want of
// permission is recent.
func (ls *leases) usable(now time.Time) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return !now.Before(ls.forbiddenUntil)
}

// refused notes err, when it is a refusal for want of permission, and logs it once per
// forbiddenRetry.
func (ls *leases) refused(err error, now time.Time) {
	if !apierrors.IsForbidden(err) {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Before(ls.forbiddenUntil) {
		return
	}
	ls.forbiddenUntil = now.Add(forbiddenRetry)
	ls.logger.Info("the operator may not read or write Leases: Cameras' liveness goes to their status alone, at four times the API server's cost; grant get, create and update on coordination.k8s.io leases, or set --liveness-leases=false",
		"retryAfter", forbiddenRetry, "error", err.Error())
}

// renew records l in cam's Lease, creating it if need be. known is what is known of the
// Lease; renew returns what is known after. The first renewal of a replica reads the
// Lease, to make sure it is the Camera's; later ones update it with the resourceVersion
// the last one returned. A Lease left by a former Camera of the name is taken over; any
// other is left alone. An update, not a patch: the API server is spared applying a
// patch to the stored object, about 40 % of its CPU per renewal (BenchmarkStatusWrite).
func (ls *leases) renew(ctx context.Context, cam *gbv1.Camera, l liveness, known leaseState) (leaseState, error) {
	if known.notOurs {
		return known, errForeignLease
	}
	if known.resourceVersion == "" {
		var cur coordinationv1.Lease
		err := ls.reader.Get(ctx, client.ObjectKeyFromObject(cam), &cur)
		switch {
		case apierrors.IsNotFound(err):
			return ls.create(ctx, cam, l)
		case err != nil:
			leaseWrites.WithLabelValues(leaseFailed).Inc()
			return known, fmt.Errorf("read the Lease of Camera %s: %w", client.ObjectKeyFromObject(cam), err)
		case !metav1.IsControlledBy(&cur, cam) && !ofFormerCamera(&cur, cam):
			leaseWrites.WithLabelValues(leaseForeign).Inc()
			return leaseState{notOurs: true}, errForeignLease
		}
		known.resourceVersion = cur.ResourceVersion
	}
	lease := ownLease(cam, l)
	lease.ResourceVersion = known.resourceVersion
	err := ls.client.Update(ctx, lease, client.FieldOwner(ls.owner))
	switch {
	case apierrors.IsNotFound(err):
		return ls.create(ctx, cam, l) // deleted meanwhile
	case err != nil:
		// A conflict too: written by another since; the next renewal reads it again.
		leaseWrites.WithLabelValues(leaseFailed).Inc()
		return leaseState{}, fmt.Errorf("renew the Lease of Camera %s: %w", client.ObjectKeyFromObject(cam), err)
	}
	leaseWrites.WithLabelValues(leaseRenewed).Inc()
	return leaseState{resourceVersion: lease.ResourceVersion}, nil
}

// create creates cam's Lease recording l.
func (ls *leases) create(ctx context.Context, cam *gbv1.Camera, l liveness) (leaseState, error) {
	lease := ownLease(cam, l)
	if err := ls.client.Create(ctx, lease, client.FieldOwner(ls.owner)); err != nil {
		// AlreadyExists too: created meanwhile, by whom the next renewal reads.
		leaseWrites.WithLabelValues(leaseFailed).Inc()
		return leaseState{}, fmt.Errorf("create the Lease of Camera %s: %w", client.ObjectKeyFromObject(cam), err)
	}
	leaseWrites.WithLabelValues(leaseCreated).Inc()
	return leaseState{resourceVersion: lease.ResourceVersion}, nil
}

// ofFormerCamera reports whether lease was the Lease of a former Camera of cam's name,
// deleted since (its Lease is left until the garbage collector takes it, for ever where
// none runs, as in `make dev`): the update takes it over.
func ofFormerCamera(lease *coordinationv1.Lease, cam *gbv1.Camera) bool {
	ref := metav1.GetControllerOf(lease)
	if ref == nil || ref.Kind != "Camera" || ref.Name != cam.Name {
		return false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == gbv1.GroupVersion.Group
}

// ownLease is cam's Lease recording l, owned by cam so that it goes with it.
func ownLease(cam *gbv1.Camera, l liveness) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: cam.Namespace,
			Labels: map[string]string{leaseManagedByLabel: leaseManagedBy},
			// Not blocking the Camera's deletion: that would need the right to set
			// finalizers on Cameras, and nothing is lost with the Lease.
			OwnerReferences: []metav1.OwnerReference{{APIVersion: gbv1.GroupVersion.String(), Kind: "Camera",
				Name: cam.Name, UID: cam.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(false)}}},
		Spec: leaseSpec(l),
	}
}

// leaseSpec is the Lease spec recording l.
func leaseSpec(l liveness) coordinationv1.LeaseSpec {
	return coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(l.deviceID),
		LeaseDurationSeconds: ptr.To(int32(max(l.timeout.Round(time.Second)/time.Second, 1))),
		AcquireTime:          ptr.To(metav1.NewMicroTime(l.registeredAt)),
		RenewTime:            ptr.To(metav1.NewMicroTime(l.lastSeen)),
	}
}
