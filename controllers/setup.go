package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The operator's permissions, generated into config/rbac by `controller-gen rbac`.
// Events go through the events.k8s.io API; the core group is listed for recorders of the
// older API. Leases for leader election are granted by the separate, namespaced
// leader-election Role (config/rbac/leader_election_role.yaml).
//
// +kubebuilder:rbac:groups=gb28181.io,resources=cameras,verbs=get;list;watch
// +kubebuilder:rbac:groups=gb28181.io,resources=cameras/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// SetupWithManager wires the Camera controller into mgr: the Camera field indexes, the
// seeding of reg's bindings from Camera status (which opens store), the registrar's
// events as a channel source, the DeviceInfo/Catalog querier and the reconciler. All of
// it runs only on the elected leader, like reg itself. Call it before mgr.Start.
func SetupWithManager(mgr ctrl.Manager, reg Registrar, store *CredentialStore, opts Options) error {
	opts = opts.withDefaults()
	logger := mgr.GetLogger().WithName("camera")
	if err := addIndexes(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}

	queryDone := make(chan string, deviceEventBuffer)
	devices := make(chan event.TypedGenericEvent[string], deviceEventBuffer)
	r := &CameraReconciler{
		client:       mgr.GetClient(),
		reader:       mgr.GetCache(),
		reg:          reg,
		store:        store,
		queries:      newQuerier(reg, opts, queryDone, logger.WithName("query")),
		recorder:     mgr.GetEventRecorder(opts.ControllerName),
		opts:         opts,
		logger:       logger,
		cameras:      make(map[types.NamespacedName]*cameraMemo),
		served:       make(map[string]types.UID),
		watchedSince: make(map[string]time.Time),
	}
	for _, run := range []interface {
		Start(context.Context) error
	}{
		&seeder{cache: mgr.GetCache(), r: r},
		r.queries,
		&eventPump{reg: reg, queries: queryDone, out: devices},
	} {
		if err := mgr.Add(run); err != nil {
			return fmt.Errorf("add %T to the manager: %w", run, err)
		}
	}

	reader := mgr.GetCache()
	err := ctrl.NewControllerManagedBy(mgr).
		Named(opts.ControllerName).
		For(&gbv1.Camera{}).
		Watches(&gbv1.Camera{}, enqueuePeers(reader, logger), builder.WithPredicates(electionChanged)).
		Watches(&corev1.Secret{}, enqueueSecretUsers(reader, logger)).
		WatchesRawSource(source.Channel(devices, enqueueDevice(reader, logger))).
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		Complete(r)
	if err != nil {
		return fmt.Errorf("build the Camera controller: %w", err)
	}
	return nil
}
