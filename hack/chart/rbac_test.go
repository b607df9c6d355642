package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
)

// operatorLogs collects the operator's logs from several goroutines.
type operatorLogs struct{ testutil.LogBuffer }

// refused reports whether the API server refused the operator anything so far.
func (l *operatorLogs) refused() bool {
	return strings.Contains(strings.ToLower(l.String()), "forbidden")
}

// TestOperatorRunsWithChartRBAC is the proof that the chart's RBAC is enough and no
// more. The chart's ServiceAccount and RBAC are applied to a real kube-apiserver; the
// operator (the same wiring as main.go) runs with a client impersonating that
// ServiceAccount, elects itself leader, and a real sipgo device registers over UDP on
// 127.0.0.1 until the Camera reports Ready. Nothing may be refused along the way, and
// verbs the operator has no business with stay forbidden.
func TestOperatorRunsWithChartRBAC(t *testing.T) {
	tests := []struct {
		name         string
		values       string
		releaseNS    string
		cameraNS     string
		unwatchedNS  string // a namespace the operator must not read Secrets in ("" for none)
		clusterWide  bool
		fullOverride string
	}{
		{name: "cluster-wide", releaseNS: "rbac-cluster", cameraNS: "cameras-a", clusterWide: true, fullOverride: "rbac-cluster"},
		{
			name:         "watch-namespaces",
			values:       "watchNamespaces: [cameras-b]\n",
			releaseNS:    "rbac-namespaced",
			cameraNS:     "cameras-b",
			unwatchedNS:  "elsewhere",
			fullOverride: "rbac-namespaced",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := envCluster(t)
			values := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(values, []byte("fullnameOverride: "+tc.fullOverride+"\n"+tc.values), 0o644); err != nil {
				t.Fatal(err)
			}
			objs, err := renderRelease(t, tc.releaseNS, values)
			if err != nil {
				t.Fatal(err)
			}
			for _, ns := range []string{tc.releaseNS, tc.cameraNS, tc.unwatchedNS} {
				if ns != "" {
					c.ensureNamespace(t, ns)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			// Install the chart's identity and permissions for real.
			var sa string
			for _, o := range objs {
				switch o.GetKind() {
				case "ServiceAccount":
					sa = o.GetName()
					fallthrough
				case "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
					if err := c.apply(ctx, c.dynamic, o, false); err != nil {
						t.Fatal(err)
					}
				}
			}
			if sa == "" {
				t.Fatal("the chart rendered no ServiceAccount")
			}
			args := flagValues(t, manager(t, deployment(t, objs)).Args)

			// The operator's client is the ServiceAccount, as in the pod.
			asOperator := rest.CopyConfig(c.cfg)
			asOperator.Impersonate = rest.ImpersonationConfig{
				UserName: fmt.Sprintf("system:serviceaccount:%s:%s", tc.releaseNS, sa),
				Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + tc.releaseNS, "system:authenticated"},
			}

			logs := &operatorLogs{}
			endpoints := chartEndpoints(args, tc.releaseNS)
			srv := runOperator(t, ctx, asOperator, args, endpoints, logs)

			// A user declares a device, as admin.
			admin, err := client.New(c.cfg, client.Options{Scheme: testScheme()})
			if err != nil {
				t.Fatal(err)
			}
			deviceID := fmt.Sprintf("3402000000132000%04d", i+1)
			secret := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "cam-credentials", Namespace: tc.cameraNS},
				StringData: map[string]string{"password": "12345678"},
			}
			cam := &gbv1.Camera{
				ObjectMeta: metav1.ObjectMeta{Name: "lobby", Namespace: tc.cameraNS},
				Spec: gbv1.CameraSpec{
					DeviceID:             deviceID,
					CredentialsSecretRef: gbv1.SecretKeySelector{Name: secret.Name},
				},
			}
			for _, o := range []client.Object{secret, cam} {
				if err := admin.Create(ctx, o); err != nil {
					t.Fatal(err)
				}
			}

			select {
			case <-srv.Ready():
			case <-ctx.Done():
				t.Fatalf("the registrar never started (leader election or cache sync failed?)\n%s", logs)
			}
			dev, err := sim.NewDevice(sim.Config{ID: deviceID, Password: "12345678", Server: srv.UDPAddr(), LocalIP: "127.0.0.1",
				RequestTimeout: 5 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			registerUntilOK(t, ctx, dev, logs)
			waitReady(t, ctx, admin, client.ObjectKeyFromObject(cam), logs)
			if endpoints.Enabled() {
				waitSIPEndpoint(t, ctx, admin, endpoints, logs)
			}

			if logs.refused() {
				t.Errorf("the operator was refused something with the chart's RBAC:\n%s", logs)
			}

			kube, err := kubernetes.NewForConfig(asOperator)
			if err != nil {
				t.Fatal(err)
			}
			dyn, err := dynamic.NewForConfig(asOperator)
			if err != nil {
				t.Fatal(err)
			}
			assertForbidden(t, ctx, kube, dyn, tc.cameraNS, tc.unwatchedNS, tc.clusterWide)
		})
	}
}

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(gbv1.AddToScheme(s))
	return s
}

// chartEndpoints is what the operator publishes as the SIP Service's endpoint when the
// chart passes --sip-service: the pod is the one the downward API would describe, in
// the release's namespace, with an address the API server accepts in a slice.
func chartEndpoints(args map[string]string, releaseNS string) endpoints.Config {
	return endpoints.Config{Service: args["sip-service"], Namespace: releaseNS, PodName: "camera-operator-0", PodIP: "192.0.2.20"}
}

// waitSIPEndpoint waits for the leader's EndpointSlice of the SIP Service to name its pod.
func waitSIPEndpoint(t *testing.T, ctx context.Context, c client.Client, ep endpoints.Config, logs *operatorLogs) {
	t.Helper()
	for {
		var list discoveryv1.EndpointSliceList
		if err := c.List(ctx, &list, client.InNamespace(ep.Namespace), client.MatchingLabels{discoveryv1.LabelServiceName: ep.Service}); err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.TargetRef != nil && e.TargetRef.Name == ep.PodName {
					return
				}
			}
		}
		if logs.refused() {
			t.Fatalf("the operator was refused something with the chart's RBAC:\n%s", logs)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the SIP Service %s never got the leader's endpoint\n%s", ep.Service, logs)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runOperator starts the operator the way main.go wires it (controllers.ManagerOptions
// and Setup), configured from the flags the chart's Deployment passes, with SIP on a
// free 127.0.0.1 port. It stops with the test.
func runOperator(t *testing.T, ctx context.Context, cfg *rest.Config, args map[string]string, ep endpoints.Config, logs *operatorLogs) *sipd.Server {
	t.Helper()
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log := logr.FromSlogHandler(logger.Handler())
	// client-go reports refused list/watch calls of the informers through klog.
	klog.SetLogger(log)

	var namespaces []string
	if ns := args["watch-namespaces"]; ns != "" {
		namespaces = strings.Split(ns, ",")
	}
	mopts := controllers.ManagerOptions("", namespaces)
	mopts.Logger = log
	mopts.Metrics = metricsserver.Options{BindAddress: "0"}
	mopts.HealthProbeBindAddress = "0"
	mopts.LeaderElection = args["leader-elect"] == "true"
	mopts.LeaderElectionNamespace = args["leader-election-namespace"]
	mopts.LeaderElectionReleaseOnCancel = true
	// Each subtest runs its own operator in this one process.
	mopts.Controller = config.Controller{SkipNameValidation: ptr.To(true)}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		t.Fatal(err)
	}
	if mgr.GetConfig().Impersonate.UserName == "" {
		t.Fatal("the manager does not impersonate the ServiceAccount")
	}
	op, err := controllers.Setup(mgr, controllers.Config{
		SIP:            sipd.Config{ListenAddr: "127.0.0.1:0", Logger: logger.With("component", "sipd")},
		Endpoints:      ep,
		LeaderElection: mopts.LeaderElection,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := op.Registrar
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("the operator stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the operator did not stop within 30s")
		}
	})
	return srv
}

// registerUntilOK registers the device, retrying while the registrar answers 503 (its
// credential store is still loading) or 404 (the new Camera has not reached the
// operator's cache yet).
func registerUntilOK(t *testing.T, ctx context.Context, dev *sim.Device, logs *operatorLogs) {
	t.Helper()
	for {
		_, err := dev.Register(ctx)
		if err == nil {
			return
		}
		if code := sim.StatusCode(err); code != 0 && code != sip.StatusServiceUnavailable && code != sip.StatusNotFound {
			t.Fatalf("REGISTER: %v\n%s", err, logs)
		}
		if logs.refused() {
			t.Fatalf("the operator was refused something with the chart's RBAC:\n%s", logs)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the device never registered (last: %v)\n%s", err, logs)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitReady waits for the operator, writing status as the ServiceAccount, to report the
// Camera Ready.
func waitReady(t *testing.T, ctx context.Context, c client.Client, key client.ObjectKey, logs *operatorLogs) {
	t.Helper()
	var cam gbv1.Camera
	for {
		if err := c.Get(ctx, key, &cam); err != nil {
			t.Fatal(err)
		}
		if meta.IsStatusConditionTrue(cam.Status.Conditions, gbv1.ConditionReady) {
			return
		}
		if logs.refused() {
			t.Fatalf("the operator was refused something with the chart's RBAC:\n%s", logs)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Camera %s never became Ready; status %+v\n%s", key, cam.Status, logs)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// assertForbidden tries, as the operator, what it must not be able to do.
func assertForbidden(t *testing.T, ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, ns, unwatchedNS string, clusterWide bool) {
	t.Helper()
	cameras := gbv1.GroupVersion.WithResource("cameras")
	type attempt struct {
		what string
		do   func() error
	}
	attempts := []attempt{
		{"delete a Secret", func() error {
			return kube.CoreV1().Secrets(ns).Delete(ctx, "cam-credentials", metav1.DeleteOptions{})
		}},
		{"create a Secret", func() error {
			_, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "stolen"}}, metav1.CreateOptions{})
			return err
		}},
		{"list Pods", func() error { _, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); return err }},
		{"read ConfigMaps", func() error { _, err := kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); return err }},
		{"delete a Camera", func() error {
			return dyn.Resource(cameras).Namespace(ns).Delete(ctx, "lobby", metav1.DeleteOptions{})
		}},
		{"patch a Camera's spec", func() error {
			_, err := dyn.Resource(cameras).Namespace(ns).Patch(ctx, "lobby", "application/merge-patch+json",
				[]byte(`{"spec":{"suspend":true}}`), metav1.PatchOptions{})
			return err
		}},
		{"create a Namespace", func() error {
			_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "owned"}}, metav1.CreateOptions{})
			return err
		}},
	}
	if !clusterWide {
		attempts = append(attempts,
			attempt{"list Secrets in an unwatched namespace", func() error {
				_, err := kube.CoreV1().Secrets(unwatchedNS).List(ctx, metav1.ListOptions{})
				return err
			}},
			attempt{"list Secrets of all namespaces", func() error {
				_, err := kube.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
				return err
			}},
		)
	}
	for _, a := range attempts {
		if err := a.do(); !apierrors.IsForbidden(err) {
			t.Errorf("the operator could %s: got %v, want Forbidden", a.what, err)
		}
	}
}
