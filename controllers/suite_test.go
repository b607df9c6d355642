package controllers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/command"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/controllers/recording"
	"github.com/gb28181/camera-operator/controllers/stream"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
)

// The tests below the pure ones run against a real kube-apiserver and etcd (envtest)
// and real SIP devices on loopback talking to the real registrar. The control plane is
// started once, on first use, and shared; each test works in its own namespaces with its
// own operator whose cache sees only those, so tests can run in parallel.

func init() {
	// CONTROLLERS_TEST_LOG=1 shows the operator's logs.
	logger := logr.Discard()
	if os.Getenv("CONTROLLERS_TEST_LOG") != "" {
		logger = logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	crlog.SetLogger(logger)
	if os.Getenv("CONTROLLERS_TEST_LOG") == "" {
		// sipgo logs connection teardown of the test devices through its own default.
		sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
}

func TestMain(m *testing.M) { controllertest.Main(m) }

// controlPlane returns a client of the shared control plane, starting it on first use.
func controlPlane(t testing.TB) client.Client { return controllertest.ControlPlane(t) }

// newNamespace creates a namespace for one test.
func newNamespace(t testing.TB, c client.Client) string { return controllertest.NewNamespace(t, c) }

// operator is one running replica: manager, registrar and controllers.
type operator struct {
	srv   *sipd.Server
	store *camera.CredentialStore
	// cameras is the Camera controller's handle (PresetsChanged).
	cameras *camera.Controller
	// notified counts the device changes the registrar signalled.
	notified *atomic.Int64
	// ready is the replica's readiness check (ManagerStarted).
	ready  healthz.Checker
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

type operatorConfig struct {
	namespaces []string
	listen     string // default 127.0.0.1:0
	opts       camera.Options
	// leaseNamespace turns leader election on, with a Lease there.
	leaseNamespace string
	streams        *stream.Options // the Stream controller's options (default fastStreams)
	commands       command.Options // the CameraCommand controller's options
	recordings     recording.Options
	// restConfig replaces the control plane's (to count requests).
	restConfig *rest.Config
	// endpoints, when enabled, has the leader publish the SIP Service's EndpointSlice.
	endpoints endpoints.Config
	// alarms, with a URL, posts the alarms there.
	alarms alarms.Config
}

// startOperator starts a replica and waits until it serves.
func startOperator(t *testing.T, oc operatorConfig) *operator {
	t.Helper()
	op := startStandby(t, oc)
	select {
	case <-op.srv.Ready():
	case err := <-op.done:
		t.Fatalf("operator stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("registrar did not start")
	}
	select {
	case <-op.store.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("credential store not ready: seeding did not run")
	}
	return op
}

// startStandby starts a replica without waiting for it to lead.
func startStandby(t *testing.T, oc operatorConfig) *operator {
	t.Helper()
	controlPlane(t)
	// The manager is made as main.go makes it (ManagerOptions), so status writes are
	// tested from the same cached objects as in production.
	mopts := ManagerOptions(oc.opts.Shard, oc.namespaces)
	mopts.Metrics = metricsserver.Options{BindAddress: "0"}
	mopts.HealthProbeBindAddress = "0"
	mopts.Controller = config.Controller{SkipNameValidation: ptr.To(true)}
	if oc.leaseNamespace != "" {
		mopts.LeaderElection = true
		mopts.LeaderElectionNamespace = oc.leaseNamespace
		mopts.LeaderElectionReleaseOnCancel = true
		mopts.LeaseDuration = ptr.To(4 * time.Second)
		mopts.RenewDeadline = ptr.To(3 * time.Second)
		mopts.RetryPeriod = ptr.To(200 * time.Millisecond)
	}
	restCfg := controllertest.RestConfig(t)
	if oc.restConfig != nil {
		restCfg = oc.restConfig
	}
	mgr, err := ctrl.NewManager(restCfg, mopts)
	if err != nil {
		t.Fatal(err)
	}
	notified := new(atomic.Int64)
	listen := oc.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	logOut := io.Writer(io.Discard)
	if os.Getenv("CONTROLLERS_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	streams := fastStreams
	if oc.streams != nil {
		streams = *oc.streams
	}
	wired, err := Setup(mgr, Config{
		SIP: sipd.Config{
			ListenAddr:    listen,
			MinExpires:    time.Second,
			InviteTimeout: 5 * time.Second,
			Notifier:      countingNotifier{count: notified},
			Logger:        slog.New(slog.NewTextHandler(logOut, nil)).With("replica", t.Name()),
		},
		Camera:         oc.opts,
		Stream:         streams,
		Command:        oc.commands,
		Recording:      oc.recordings,
		Endpoints:      oc.endpoints,
		Alarms:         oc.alarms,
		LeaderElection: oc.leaseNamespace != "",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, store, ready := wired.Registrar, wired.credentials, wired.ready
	ctx, cancel := context.WithCancel(context.Background())
	op := &operator{srv: srv, store: store, cameras: wired.Cameras, notified: notified, ready: ready, cancel: cancel, done: make(chan error, 1)}
	go func() { op.done <- mgr.Start(ctx) }()
	t.Cleanup(func() { op.stop(t) })
	return op
}

// stop stops the replica and waits until it has released its port.
func (op *operator) stop(t *testing.T) {
	op.once.Do(func() {
		op.cancel()
		select {
		case err := <-op.done:
			if err != nil {
				t.Errorf("operator: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("operator did not stop")
		}
	})
}

// addr is the registrar's UDP address.
func (op *operator) addr() string { return op.srv.UDPAddr() }

func createSecret(t *testing.T, c client.Client, ns, name string, data map[string]string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	if err := c.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func setSecret(t *testing.T, c client.Client, ns, name string, data map[string]string) {
	t.Helper()
	var s corev1.Secret
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	s.Data = nil
	s.StringData = data
	if err := c.Update(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
}

// createCamera creates a Camera with a fast keepalive contract (1s x 2) unless mut
// changes it.
func createCamera(t *testing.T, c client.Client, ns, name, deviceID, secret string, mut ...func(*gbv1.Camera)) *gbv1.Camera {
	t.Helper()
	cam := &gbv1.Camera{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.CameraSpec{
			DeviceID:             deviceID,
			CredentialsSecretRef: gbv1.SecretKeySelector{Name: secret},
			Keepalive:            gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: time.Second}, TimeoutCount: 2},
		},
	}
	for _, m := range mut {
		m(cam)
	}
	if err := c.Create(context.Background(), cam); err != nil {
		t.Fatal(err)
	}
	return cam
}

// updateCamera applies mutate to the latest Camera and writes it, again on a conflict:
// the operator writes its status meanwhile, and an update of a copy read before that
// is refused.
func updateCamera(t *testing.T, c client.Client, ns, name string, mutate func(*gbv1.Camera)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cam gbv1.Camera
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &cam); err != nil {
			return err
		}
		mutate(&cam)
		return c.Update(context.Background(), &cam)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func getCamera(t *testing.T, c client.Client, ns, name string) *gbv1.Camera {
	t.Helper()
	var cam gbv1.Camera
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &cam); err != nil {
		t.Fatal(err)
	}
	return &cam
}

// waitCamera waits until the Camera satisfies check and returns it.
func waitCamera(t *testing.T, c client.Client, ns, name string, timeout time.Duration, check func(*gbv1.Camera) error) *gbv1.Camera {
	t.Helper()
	var last *gbv1.Camera
	testutil.Eventually(t, timeout, "camera "+ns+"/"+name, func() error {
		var cam gbv1.Camera
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &cam); err != nil {
			return err
		}
		last = &cam
		return check(&cam)
	})
	return last
}

// inState checks state and, when given, the reason of a condition.
func inState(state gbv1.CameraState, condType, reason string) func(*gbv1.Camera) error {
	return func(cam *gbv1.Camera) error {
		if cam.Status.State != state {
			return fmt.Errorf("state %q, want %q (conditions %+v)", cam.Status.State, state, cam.Status.Conditions)
		}
		if condType == "" {
			return nil
		}
		for _, c := range cam.Status.Conditions {
			if c.Type == condType {
				if c.Reason != reason {
					return fmt.Errorf("%s reason %q, want %q", condType, c.Reason, reason)
				}
				if c.ObservedGeneration != cam.Generation {
					return fmt.Errorf("%s observedGeneration %d, want %d", condType, c.ObservedGeneration, cam.Generation)
				}
				return nil
			}
		}
		return fmt.Errorf("no %s condition", condType)
	}
}

// newDevice returns a scripted UDP device of the registrar.
func newDevice(t *testing.T, op *operator, id, password string) *sim.Scripted {
	t.Helper()
	d := &sim.Scripted{ID: id, Password: password, Server: op.addr(), Expires: 3600}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// register registers d and returns the final status code.
func register(t *testing.T, d *sim.Scripted) int {
	t.Helper()
	res, err := d.Register(ctxT(t))
	if err != nil {
		t.Fatalf("%s: REGISTER: %v", d, err)
	}
	return res.StatusCode
}

// keepalive sends one keepalive and returns the status code.
func keepalive(t *testing.T, d *sim.Scripted) int {
	t.Helper()
	res, err := d.Keepalive(ctxT(t))
	if err != nil {
		t.Fatalf("%s: keepalive: %v", d, err)
	}
	return res.StatusCode
}

// keepSendingKeepalives sends a keepalive every period until the returned stop is called.
func keepSendingKeepalives(t *testing.T, d *sim.Scripted, period time.Duration) (stop func()) {
	return every(t, period, func(ctx context.Context) { _, _ = d.Keepalive(ctx) })
}

// every calls f (with a 5s context) every period until the returned stop is called.
func every(t *testing.T, period time.Duration, f func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			fctx, fcancel := context.WithTimeout(ctx, 5*time.Second)
			f(fctx)
			fcancel()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventReasons lists the reasons of the Events recorded on a Camera.
func eventReasons(c client.Client, ns, name string) (map[string]int, error) {
	return kindEventReasons(c, ns, "Camera", name)
}

// kindEventReasons counts the reasons of the Events recorded on an object of kind.
func kindEventReasons(c client.Client, ns, kind, name string) (map[string]int, error) {
	var list eventsv1.EventList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	out := make(map[string]int)
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name {
			out[e.Reason]++
		}
	}
	return out, nil
}

// waitEvents waits until the Camera has Events with all of reasons.
func waitEvents(t *testing.T, c client.Client, ns, name string, reasons ...string) {
	t.Helper()
	waitKindEvents(t, c, ns, "Camera", name, reasons...)
}

// waitKindEvents waits until the object of kind has Events with each of reasons.
func waitKindEvents(t *testing.T, c client.Client, ns, kind, name string, reasons ...string) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, "events on "+name, func() error {
		got, err := kindEventReasons(c, ns, kind, name)
		if err != nil {
			return err
		}
		for _, r := range reasons {
			if got[r] == 0 {
				return fmt.Errorf("no %s event yet; have %v", r, got)
			}
		}
		return nil
	})
}

func deleteObject(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

// waitKnown waits until op's credential store knows deviceID: a Camera just created
// reaches the store's cache a moment later, and a REGISTER before that gets 404.
func waitKnown(t *testing.T, op *operator, deviceID string) {
	t.Helper()
	// Usable credentials, not only a Camera: the Secret's metadata can reach the cache
	// before its data is read, and a REGISTER then draws 503 (not read yet).
	testutil.Eventually(t, 10*time.Second, "device "+deviceID+" known to the store with its password", func() error {
		_, err := op.store.LookupCredentials(deviceID)
		return err
	})
}

// countingNotifier counts the device changes the registrar signals, of state or detail.
type countingNotifier struct {
	count *atomic.Int64
}

func (n countingNotifier) Notify(string)       { n.count.Add(1) }
func (n countingNotifier) NotifyDetail(string) { n.count.Add(1) }
