package command

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
)

// The CameraCommand controller's permissions. It reads Cameras (the Camera controller's
// markers grant that) and writes only commands: their status, their finalizer, and their
// deletion after the TTL.
//
// +kubebuilder:rbac:groups=gb28181.io,resources=cameracommands,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=gb28181.io,resources=cameracommands/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gb28181.io,resources=cameracommands/finalizers,verbs=update

// maxRequeuedPerCamera bounds the commands of one Camera looked at again when the
// Camera changes or one of its commands does: the oldest unfinished ones, which are
// the ones that can go next, or whose wait for the Camera may have ended.
const maxRequeuedPerCamera = 32

// Setup wires the CameraCommand controller into mgr: device controls of Cameras through
// reg. Like the registrar, it runs only on the elected leader. Call it after the Camera
// controller's Setup and before mgr.Start.
func Setup(mgr ctrl.Manager, reg Registrar, opts Options) error {
	opts = opts.WithDefaults()
	logger := mgr.GetLogger().WithName("command")
	commands, err := dependents.IndexByCamera(context.Background(), mgr.GetCache(), &gbv1.CameraCommand{},
		func() client.ObjectList { return &gbv1.CameraCommandList{} }, func(c *gbv1.CameraCommand) string { return c.Spec.CameraRef.Name })
	if err != nil {
		return err
	}
	r := &reconciler{client: mgr.GetClient(), api: mgr.GetAPIReader(), reader: mgr.GetCache(), commands: commands, reg: reg, opts: opts,
		buckets: newCameraBuckets(opts.CommandsPerSecond, opts.CommandBurst), flights: newInFlight(opts.MaxInFlight),
		recorder: mgr.GetEventRecorder(opts.ControllerName)}
	nextOf := func(ctx context.Context, ns, camera string) []reconcile.Request {
		return nextCommands(ctx, commands, ns, camera)
	}
	err = builder.ControllerManagedBy(mgr).
		Named("cameracommand").
		For(&gbv1.CameraCommand{}).
		// A command that finishes or goes lets the next of its Camera go.
		Watches(&gbv1.CameraCommand{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			c, ok := o.(*gbv1.CameraCommand)
			if !ok {
				return nil
			}
			return nextOf(ctx, c.Namespace, c.Spec.CameraRef.Name)
		})).
		// A Camera that registers (or appears) lets its waiting commands go.
		Watches(&gbv1.Camera{}, dependents.OnCamera(nextOf)).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		WithLogConstructor(dependents.RequestLogger(logger, "cameracommand")).
		Complete(r)
	if err != nil {
		return fmt.Errorf("build the CameraCommand controller: %w", err)
	}
	return nil
}

// nextCommands lists the oldest unfinished commands of a Camera, at most
// maxRequeuedPerCamera.
func nextCommands(ctx context.Context, commands *dependents.ByCamera[*gbv1.CameraCommand], ns, camera string) []reconcile.Request {
	queue, err := commands.Of(ctx, ns, camera)
	if err != nil {
		return nil
	}
	next := oldestUnfinished(queue, maxRequeuedPerCamera)
	reqs := make([]reconcile.Request, 0, len(next))
	for _, c := range next {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}})
	}
	return reqs
}
