package controllers

import (
	"context"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// deviceEventBuffer is the capacity of the channels between the registrar, the querier
// and the controller's channel source. sipd coalesces its events per device, so a full
// buffer only delays delivery; it loses nothing.
const deviceEventBuffer = 1024

// eventPump forwards the device IDs the registrar and the querier report into the
// controller's channel source. It runs only on the leader, where sipd runs.
type eventPump struct {
	reg     Registrar
	queries <-chan string
	out     chan<- event.TypedGenericEvent[string]
}

// NeedLeaderElection: the registrar only emits events on the leader.
func (p *eventPump) NeedLeaderElection() bool { return true }

// Start forwards events until ctx ends.
func (p *eventPump) Start(ctx context.Context) error {
	events := p.reg.Events()
	for {
		var id string
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil // the registrar stopped; query answers may still come
				continue
			}
			id = ev.DeviceID
		case id = <-p.queries:
		}
		select {
		case p.out <- event.TypedGenericEvent[string]{Object: id}:
		case <-ctx.Done():
			return nil
		}
	}
}

// enqueueDevice maps a device ID to the Cameras claiming it. A device no Camera claims
// (an unknown device that tried to register) maps to nothing.
func enqueueDevice(r client.Reader, log logr.Logger) handler.TypedEventHandler[string, reconcile.Request] {
	return handler.TypedFuncs[string, reconcile.Request]{
		GenericFunc: func(ctx context.Context, e event.TypedGenericEvent[string], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			cams, err := camerasWithDeviceID(ctx, r, e.Object)
			if err != nil {
				log.Error(err, "cannot map a device event to its Cameras", "deviceID", e.Object)
				return
			}
			for i := range cams {
				q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: cams[i].Namespace, Name: cams[i].Name}})
			}
		},
	}
}

// enqueuePeers maps a Camera to every Camera claiming the same device ID, so that
// creating or deleting one re-runs the election for the others.
func enqueuePeers(r client.Reader, log logr.Logger) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		cam, ok := o.(*gbv1.Camera)
		if !ok {
			return nil
		}
		cams, err := camerasWithDeviceID(ctx, r, cam.Spec.DeviceID)
		if err != nil {
			log.Error(err, "cannot list the peers of a Camera", "camera", client.ObjectKeyFromObject(cam))
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(cams))
		for i := range cams {
			if cams[i].UID != cam.UID {
				reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: cams[i].Namespace, Name: cams[i].Name}})
			}
		}
		return reqs
	})
}

// electionChanged passes the Camera events that can change an election: creation,
// deletion and the start of a deletion. Status and spec updates cannot, since the
// device ID is immutable and elections go by age.
var electionChanged = predicate.Funcs{
	CreateFunc: func(event.CreateEvent) bool { return true },
	DeleteFunc: func(event.DeleteEvent) bool { return true },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return (e.ObjectOld.GetDeletionTimestamp() == nil) != (e.ObjectNew.GetDeletionTimestamp() == nil)
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// enqueueSecretUsers maps a Secret to the Cameras of its namespace that name it.
func enqueueSecretUsers(r client.Reader, log logr.Logger) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		if _, ok := o.(*corev1.Secret); !ok {
			return nil
		}
		var list gbv1.CameraList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()),
			client.MatchingFields{indexSecretName: o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
			log.Error(err, "cannot list the Cameras of a Secret", "secret", client.ObjectKeyFromObject(o))
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name}})
		}
		return reqs
	})
}
