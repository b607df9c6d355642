package recording

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
)

// The RecordingQuery controller's permissions: it deletes the queries whose TTL ran out.
//
// +kubebuilder:rbac:groups=gb28181.io,resources=recordingqueries,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=gb28181.io,resources=recordingqueries/status,verbs=get;update;patch

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
	queries, err := dependents.IndexByCamera(context.Background(), mgr.GetCache(), &gbv1.RecordingQuery{},
		func() client.ObjectList { return &gbv1.RecordingQueryList{} }, func(rq *gbv1.RecordingQuery) string { return rq.Spec.CameraRef.Name })
	if err != nil {
		return err
	}
	r := &reconciler{client: mgr.GetClient(), api: mgr.GetAPIReader(), reader: mgr.GetCache(), reg: reg, opts: opts,
		slots: newQuerySlots(opts.MaxQueriesPerCamera, opts.MaxConcurrentQueries), recorder: mgr.GetEventRecorder(opts.ControllerName)}
	err = builder.ControllerManagedBy(mgr).
		Named("recordingquery").
		For(&gbv1.RecordingQuery{}).
		Watches(&gbv1.Camera{}, dependents.OnCamera(func(ctx context.Context, ns, camera string) []reconcile.Request {
			return waitingQueriesOf(ctx, queries, ns, camera)
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentQueries + spareWorkers}).
		WithLogConstructor(dependents.RequestLogger(logger, "recordingquery")).
		Complete(r)
	if err != nil {
		return fmt.Errorf("build the RecordingQuery controller: %w", err)
	}
	return nil
}

// waitingQueriesOf lists the queries of a Camera that are not finished: a change of the
// Camera may let them be sent.
func waitingQueriesOf(ctx context.Context, queries *dependents.ByCamera[*gbv1.RecordingQuery], ns, camera string) []reconcile.Request {
	rqs, err := queries.Of(ctx, ns, camera)
	if err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for _, rq := range rqs {
		if !finished(rq) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rq.Namespace, Name: rq.Name}})
		}
	}
	return reqs
}
