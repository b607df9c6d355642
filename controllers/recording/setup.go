package recording

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The RecordingQuery controller's permissions: it deletes the queries whose TTL ran out.
//
// +kubebuilder:rbac:groups=gb28181.io,resources=recordingqueries,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=gb28181.io,resources=recordingqueries/status,verbs=get;update;patch

// indexQueryCamera indexes RecordingQueries by the Camera they name.
const indexQueryCamera = "spec.cameraRef.name"

// Setup wires the RecordingQuery controller into mgr: queries of Camera devices'
// recordings through reg, in the zone of reg's devices unless opts.Location says
// otherwise. It learns of Camera changes (a registration a Pending query waits for)
// from the cache. Like the registrar, it runs only on the elected leader.
func Setup(mgr ctrl.Manager, reg Registrar, opts Options) error {
	if opts.Location == nil {
		opts.Location = reg.Location()
	}
	opts = opts.WithDefaults()
	logger := mgr.GetLogger().WithName("recordingquery")
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &gbv1.RecordingQuery{}, indexQueryCamera, func(o client.Object) []string {
		rq, ok := o.(*gbv1.RecordingQuery)
		if !ok || rq.Spec.CameraRef.Name == "" {
			return nil
		}
		return []string{rq.Spec.CameraRef.Name}
	}); err != nil {
		return fmt.Errorf("index %s: %w", indexQueryCamera, err)
	}
	r := &reconciler{client: mgr.GetClient(), api: mgr.GetAPIReader(), reader: mgr.GetCache(), reg: reg, opts: opts,
		slots: newQuerySlots(opts.MaxQueriesPerCamera, opts.MaxConcurrentQueries), recorder: mgr.GetEventRecorder(opts.ControllerName)}
	reader := mgr.GetCache()
	err := builder.ControllerManagedBy(mgr).
		Named("recordingquery").
		For(&gbv1.RecordingQuery{}).
		Watches(&gbv1.Camera{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return waitingQueriesOf(ctx, reader, o.GetNamespace(), o.GetName())
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentQueries + spareWorkers}).
		WithLogConstructor(func(req *reconcile.Request) logr.Logger {
			if req == nil {
				return logger
			}
			return logger.WithValues("recordingquery", req.NamespacedName.String())
		}).
		Complete(r)
	if err != nil {
		return fmt.Errorf("build the RecordingQuery controller: %w", err)
	}
	return nil
}

// waitingQueriesOf lists the queries of a Camera that are not finished: a change of the
// Camera may let them be sent.
func waitingQueriesOf(ctx context.Context, r client.Reader, ns, camera string) []reconcile.Request {
	var list gbv1.RecordingQueryList
	if err := r.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexQueryCamera: camera}, client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if rq := &list.Items[i]; !finished(rq) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rq.Namespace, Name: rq.Name}})
		}
	}
	return reqs
}
