package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/command"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/controllers/fleet"
	"github.com/gb28181/camera-operator/controllers/recording"
	"github.com/gb28181/camera-operator/controllers/stream"
	"github.com/gb28181/camera-operator/sipd"
)

// Config is the whole operator: its registrar and each of its controllers. Zero values
// take each part's defaults, which that part owns (sipd.Config, camera.Options,
// stream.Options, command.Options, recording.Options, endpoints.Config).
type Config struct {
	// SIP configures the registrar. Setup sets its ListenAfter (the seeding of its
	// bindings) and its Notifier (the device-change signal); a Notifier set here is told
	// of every change too.
	SIP sipd.Config
	// Camera and Stream tune the controllers.
	Camera camera.Options
	Stream stream.Options
	// Command tunes the CameraCommand controller (its bounds, and the PresetWatcher told
	// of preset changes).
	Command command.Options
	// Recording tunes the RecordingQuery controller; its Location defaults to the
	// registrar's (SIP.Location).
	Recording recording.Options
	// Endpoints names the selector-less SIP Service the leader points at its own pod
	// (empty Service: none).
	Endpoints endpoints.Config
	// Alarms is the alarm sink: with a URL, each alarm is also POSTed there as a
	// CloudEvent (controllers/alarms).
	Alarms alarms.Config
	// LeaderElection tells Setup that the manager elects a leader: readiness then means
	// that the process is healthy, standbys included; without it, it also means that
	// the registrar serves.
	LeaderElection bool
}

// Operator is what Setup wired into a manager.
type Operator struct {
	// Registrar is the SIP registrar, for its addresses.
	Registrar *sipd.Server
	// Cameras is the Camera controller, which other controllers tell what they changed
	// on a device (PresetsChanged).
	Cameras *camera.Controller

	credentials *camera.CredentialStore
	ready       healthz.Checker
}

// Setup wires the operator into mgr, in the order its parts need: the credential store
// and the device-change signal, the registrar on them (run by the leader, through the
// SIP endpoint publisher when one is configured), the Camera controller (which seeds
// the registrar and opens the store), the Stream controller (told of device changes
// before the registrar starts), the CameraCommand and RecordingQuery controllers, the
// fleet gauges, and the health and readiness checks. The manager must have been made
// with ManagerOptions' cache and scheme. Call it once, before mgr.Start.
func Setup(mgr ctrl.Manager, cfg Config) (*Operator, error) {
	store := camera.NewCredentialStore(mgr)
	changes := devices.NewChanges()
	sipCfg := cfg.SIP
	sipCfg.ListenAfter = store.Ready()
	sipCfg.Notifier = changes
	sipCfg.Events = changes
	if cfg.SIP.Notifier != nil {
		sipCfg.Notifier = teeNotifier{changes, cfg.SIP.Notifier}
	}
	srv, err := sipd.New(sipCfg, store)
	if err != nil {
		return nil, fmt.Errorf("configuring the SIP registrar: %w", err)
	}
	if err := endpoints.AddRegistrar(mgr, srv, cfg.Endpoints); err != nil {
		return nil, err
	}
	camOpts, err := addAlarmSink(mgr, cfg)
	if err != nil {
		return nil, err
	}
	cameras, err := camera.Setup(mgr, srv, store, changes, camOpts)
	if err != nil {
		return nil, fmt.Errorf("setting up the Camera controller: %w", err)
	}
	if err := stream.Setup(mgr, srv, changes, cfg.Stream); err != nil {
		return nil, fmt.Errorf("setting up the Stream controller: %w", err)
	}
	commands := cfg.Command
	if commands.Presets == nil {
		// A preset set or deleted by a command is asked again: status shows the new list.
		commands.Presets = cameras
	}
	if err := command.Setup(mgr, srv, commands); err != nil {
		return nil, fmt.Errorf("setting up the CameraCommand controller: %w", err)
	}
	if err := recording.Setup(mgr, srv, cfg.Recording); err != nil {
		return nil, fmt.Errorf("setting up the RecordingQuery controller: %w", err)
	}
	if err := fleet.Register(context.Background(), mgr, cfg.Camera.Shard, metrics.Registry); err != nil {
		return nil, fmt.Errorf("registering the fleet gauges: %w", err)
	}
	ready, err := addProbes(mgr, srv, cfg.LeaderElection)
	if err != nil {
		return nil, err
	}
	return &Operator{Registrar: srv, Cameras: cameras, credentials: store, ready: ready}, nil
}

// ManagerOptions are the manager options the controllers rely on: a scheme with the
// Camera and Stream kinds, and a cache that holds only this shard's Cameras, Secrets by
// their metadata only (the Camera controller reads the data of the ones Cameras name),
// what the operator never reads stripped, and Cameras' repeated strings shared
// (camera.CacheTransform). namespaces, when given, limits the cache to them. The caller
// adds metrics, probes and leader election (under devices.LeaseName(shard)).
func ManagerOptions(shard string, namespaces []string) ctrl.Options {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gbv1.AddToScheme(scheme))
	opts := cache.Options{
		DefaultTransform: camera.CacheTransform,
		ByObject: map[client.Object]cache.ByObject{
			&gbv1.Camera{}: {Label: devices.ShardSelector(shard)},
			// Finished queries' answers stay out of memory (recording.CacheTransform).
			&gbv1.RecordingQuery{}: {Transform: func(obj any) (any, error) {
				obj, err := camera.CacheTransform(obj)
				if err != nil {
					return obj, err
				}
				return recording.CacheTransform(obj)
			}},
		},
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range namespaces {
			opts.DefaultNamespaces[n] = cache.Config{}
		}
	}
	return ctrl.Options{Scheme: scheme, Cache: opts, LeaderElectionID: devices.LeaseName(shard), NewClient: newCountingClient}
}

// addProbes adds /healthz and /readyz. Readiness means this process is healthy, not
// that it leads: every replica is Ready once its manager has started, so a Deployment of
// several is Available; the leader routes SIP to itself through the SIP Service's
// EndpointSlice. Without leader election the process is its own leader, and ready also
// means its registrar is serving, which is what local runs wait for. It returns the
// manager-started check.
func addProbes(mgr ctrl.Manager, srv *sipd.Server, leaderElection bool) (healthz.Checker, error) {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	started, err := managerStarted(mgr)
	if err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("manager", started); err != nil {
		return nil, err
	}
	if leaderElection {
		return started, nil
	}
	return started, mgr.AddReadyzCheck("sip", func(*http.Request) error {
		select {
		case <-srv.Ready():
			return nil
		default:
			return errors.New("SIP registrar not serving yet (seeding registrations from Camera status)")
		}
	})
}

// teeNotifier tells both notifiers of every change, of state or detail.
type teeNotifier struct {
	first  *devices.Changes
	second sipd.Notifier
}

func (t teeNotifier) Notify(id string) {
	t.first.Notify(id)
	t.second.Notify(id)
}

func (t teeNotifier) NotifyDetail(id string) {
	t.first.NotifyDetail(id)
	if d, ok := t.second.(sipd.DetailNotifier); ok {
		d.NotifyDetail(id)
		return
	}
	t.second.Notify(id)
}

// addAlarmSink adds the alarm sink of cfg.Alarms to mgr, when it has a URL, and returns
// the Camera controller's options with it.
func addAlarmSink(mgr ctrl.Manager, cfg Config) (camera.Options, error) {
	opts := cfg.Camera
	if cfg.Alarms.URL == "" {
		return opts, nil
	}
	sink, err := alarms.New(cfg.Alarms, cfg.SIP.Logger)
	if err != nil {
		return opts, err
	}
	if err := mgr.Add(sink); err != nil {
		return opts, fmt.Errorf("add the alarm sink to the manager: %w", err)
	}
	opts.DeviceEvents.AlarmSink = sink
	return opts, nil
}
