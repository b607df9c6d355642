package camera

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/go-logr/logr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
)

// The operator's permissions, generated into config/rbac by `controller-gen rbac`.
// Events go through the events.k8s.io API; the core group is listed for recorders of the
// older API. Secrets are watched for their metadata only; get reads the data of the ones
// Cameras name. Leases in Cameras' namespaces record their liveness (lease.go): read once
// per Camera and replica, never listed or watched. Leases for leader election are granted
// by the separate, namespaced leader-election Role (config/rbac/leader_election_role.yaml).
//
// +kubebuilder:rbac:groups=gb28181.io,resources=cameras,verbs=get;list;watch
// +kubebuilder:rbac:groups=gb28181.io,resources=cameras/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update

// Setup wires the Camera controller into mgr: the Camera field indexes, the seeding of
// reg's bindings from Camera status (which opens store), the DeviceInfo/Catalog querier
// and the reconciler, whose workqueue of device IDs changes feeds (hand the same changes
// to the registrar as its sipd.Notifier). All of it runs only on the elected leader,
// like reg itself. It returns the handle through which other controllers tell it what
// they changed on a device. Call it before mgr.Start.
func Setup(mgr ctrl.Manager, reg Registrar, store *CredentialStore, changes *devices.Changes, opts Options) (*Controller, error) {
	opts = opts.WithDefaults()
	logger := mgr.GetLogger().WithName("camera")
	secrets, err := addIndexes(context.Background(), mgr.GetCache())
	if err != nil {
		return nil, err
	}
	store.changes = changes
	store.secrets.max = opts.MaxCachedSecrets

	status, err := newStatusPutter(mgr.GetConfig(), mgr.GetScheme(), mgr.GetHTTPClient(), opts.ControllerName)
	if err != nil {
		return nil, err
	}
	r := &reconciler{
		client:       mgr.GetClient(),
		status:       status,
		reader:       mgr.GetCache(),
		reg:          reg,
		store:        store,
		queries:      newQuerier(reg, opts, changes.NotifyDetail, logger.WithName("query")),
		recorder:     newBudgetedRecorder(mgr.GetEventRecorder(opts.ControllerName), opts.EventsPerSecond, opts.EventBurst, changes.Backlog, eventsDropped.Inc),
		opts:         opts,
		writePace:    newPacer(queueDelayOf(reg), opts.Pacing, statusWritePace),
		logger:       logger,
		memos:        make(map[string][]*cameraMemo),
		watchedSince: make(map[string]time.Time),
	}
	if !opts.LivenessInStatus {
		r.leases = &leases{client: mgr.GetClient(), reader: mgr.GetAPIReader(), owner: opts.ControllerName,
			logger: logger.WithName("lease")}
	}
	// Subscriptions share the querier's pacer: the registrar falls behind on the sum of
	// what the operator asks of devices, whoever asks it.
	r.events = newDeviceEvents(mgr, reg, r.recorder, changes, opts, r.queries.pace, logger)
	first := newFirstQueries(r, logger.WithName("query"))
	changes.AlsoTell(first)
	for _, run := range []interface {
		Start(context.Context) error
	}{
		&seeder{cache: mgr.GetCache(), r: r},
		r.queries,
		first,
		r.events.subs,
	} {
		if err := mgr.Add(run); err != nil {
			return nil, fmt.Errorf("add %T to the manager: %w", run, err)
		}
	}

	err = builder.TypedControllerManagedBy[string](mgr).
		Named(opts.ControllerName).
		Watches(&gbv1.Camera{}, enqueueCameraDevice(), builder.WithPredicates(cameraChanged)).
		WatchesMetadata(&corev1.Secret{}, enqueueSecretDevices(secrets, logger)).
		WatchesRawSource(changes).
		WithOptions(controller.TypedOptions[string]{MaxConcurrentReconciles: opts.MaxConcurrentReconciles}).
		WithLogConstructor(func(deviceID *string) logr.Logger {
			if deviceID == nil {
				return logger
			}
			return logger.WithValues("deviceID", *deviceID)
		}).
		Complete(r)
	if err != nil {
		return nil, fmt.Errorf("build the Camera controller: %w", err)
	}
	return &Controller{queries: r.queries, notify: changes.NotifyDetail}, nil
}

// queueDelayOf is the registrar's UDP queue delay, nil when reg does not tell it (a
// registrar of tests).
func queueDelayOf(reg Registrar) func() time.Duration {
	if q, ok := reg.(interface{ QueueDelay() time.Duration }); ok {
		return q.QueueDelay
	}
	return nil
}
