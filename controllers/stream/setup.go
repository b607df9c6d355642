package stream

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
	"github.com/gb28181/camera-operator/sipd"
)

// The Stream controller's permissions.
//
// +kubebuilder:rbac:groups=gb28181.io,resources=streams,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=gb28181.io,resources=streams/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gb28181.io,resources=streams/finalizers,verbs=update

// Setup wires the Stream controller into mgr: live video of Camera channels by
// INVITE/ACK/BYE through reg. It learns of device changes (registrations, a device's
// BYE) from changes, which must be the Notifier of the same registrar, and of Camera
// changes from the cache. Like the registrar, it runs only on the elected leader. Call
// it after the Camera controller's Setup and before mgr.Start.
func Setup(mgr ctrl.Manager, reg Registrar, changes *devices.Changes, opts Options) error {
	opts.Realm = reg.Realm()
	opts = opts.WithDefaults()
	logger := mgr.GetLogger().WithName("stream")
	reader := mgr.GetCache()
	streams, err := dependents.IndexByCamera(context.Background(), reader, &gbv1.Stream{}, func() client.ObjectList { return &gbv1.StreamList{} },
		func(st *gbv1.Stream) string { return st.Spec.CameraRef.Name })
	if err != nil {
		return err
	}
	r := &reconciler{client: mgr.GetClient(), api: mgr.GetAPIReader(), reader: reader, streams: streams, reg: reg, opts: opts, ssrcs: newSSRCBook(),
		written: newStaleVersions(), slots: newStreamSlots(), recorder: mgr.GetEventRecorder(opts.ControllerName)}
	devices := make(chan event.TypedGenericEvent[string], opts.MaxPendingChanges)
	changes.AlsoTell(sipd.NotifyFunc(func(deviceID string) {
		select {
		case devices <- event.TypedGenericEvent[string]{Object: deviceID}:
		default: // full: the periodic check catches up (Options.CheckInterval)
		}
	}))
	err = builder.ControllerManagedBy(mgr).
		Named("stream").
		For(&gbv1.Stream{}).
		Watches(&gbv1.Camera{}, dependents.OnCamera(func(ctx context.Context, ns, camera string) []reconcile.Request {
			return streamsOfCamera(ctx, streams, ns, camera)
		})).
		WatchesRawSource(source.TypedChannel(devices, handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, deviceID string) []reconcile.Request {
			return streamsOfDevice(ctx, reader, streams, deviceID)
		}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		WithLogConstructor(dependents.RequestLogger(logger, "stream")).
		Complete(r)
	if err != nil {
		return fmt.Errorf("build the Stream controller: %w", err)
	}
	return nil
}

// streamsOfCamera lists the Streams naming a Camera.
func streamsOfCamera(ctx context.Context, streams *dependents.ByCamera[*gbv1.Stream], ns, camera string) []reconcile.Request {
	sts, err := streams.Of(ctx, ns, camera)
	if err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(sts))
	for _, st := range sts {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: st.Namespace, Name: st.Name}})
	}
	return reqs
}

// streamsOfDevice lists the Streams of every Camera claiming deviceID, from the cache r
// (its Cameras) and streams.
func streamsOfDevice(ctx context.Context, r client.Reader, streams *dependents.ByCamera[*gbv1.Stream], deviceID string) []reconcile.Request {
	cams, err := devices.CamerasWithID(ctx, r, deviceID)
	if err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, cam := range cams {
		reqs = append(reqs, streamsOfCamera(ctx, streams, cam.Namespace, cam.Name)...)
	}
	return reqs
}
