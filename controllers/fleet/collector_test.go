package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// TestCollectorCountsWhatTheAPIServerHolds runs the collector on a real cache of
// kube-apiserver: the leader exports every state of each namespace with objects, zero
// counts included and a Camera without status counted Pending; a Camera that changes
// state moves between the gauges, a deleted one leaves them, and a namespace whose last
// object goes is no longer exported. A standby exports nothing.
func TestCollectorCountsWhatTheAPIServerHolds(t *testing.T) {
	kube, informers := startCache(t, "east", "west")
	ctx := t.Context()

	standby := newCollector(make(chan struct{}), "s1")
	if err := standby.countFrom(ctx, informers); err != nil {
		t.Fatal(err)
	}
	elected := make(chan struct{})
	close(elected)
	leader := newCollector(elected, "s1")
	if err := leader.countFrom(ctx, informers); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(leader); err != nil {
		t.Fatal(err)
	}

	for i, c := range []struct {
		ns, name string
		state    gbv1.CameraState
	}{{"east", "a", gbv1.StateRegistered}, {"east", "b", gbv1.StateRegistered}, {"east", "c", gbv1.StateOffline}, {"west", "d", ""}} {
		createCamera(t, kube, c.ns, c.name, i, c.state)
	}
	st := &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Namespace: "east", Name: "live"}, Spec: gbv1.StreamSpec{
		CameraRef: gbv1.LocalObjectReference{Name: "a"}, Destination: gbv1.Destination{Host: "127.0.0.1", Port: 30000}}}
	if err := kube.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	st.Status.State = gbv1.StreamPlaying
	if err := kube.Status().Update(ctx, st); err != nil {
		t.Fatal(err)
	}

	waitGauges(t, reg, "created", map[string]float64{
		"cameras/east/Registered": 2, "cameras/east/Offline": 1, "cameras/east/AuthFailed": 0,
		"cameras/west/Pending": 1, "cameras/west/Registered": 0,
		"streams/east/Playing": 1, "streams/east/Pending": 0,
	})
	if n := promtestutil.CollectAndCount(leader, "camera_operator_cameras"); n != 2*len(cameraStates) {
		t.Errorf("%d Camera series for two namespaces, want %d", n, 2*len(cameraStates))
	}
	want := `
# HELP camera_operator_streams Streams by namespace and state, exported by the leader.
# TYPE camera_operator_streams gauge
camera_operator_streams{namespace="east",shard="s1",state="Completed"} 0
camera_operator_streams{namespace="east",shard="s1",state="Failed"} 0
camera_operator_streams{namespace="east",shard="s1",state="Inviting"} 0
camera_operator_streams{namespace="east",shard="s1",state="Pending"} 0
camera_operator_streams{namespace="east",shard="s1",state="Playing"} 1
camera_operator_streams{namespace="east",shard="s1",state="Stopped"} 0
camera_operator_streams{namespace="east",shard="s1",state="WaitingForCamera"} 0
`
	if err := promtestutil.CollectAndCompare(leader, strings.NewReader(want), "camera_operator_streams"); err != nil {
		t.Error(err)
	}
	if n := promtestutil.CollectAndCount(standby); n != 0 {
		t.Errorf("a standby exports %d series, want none", n)
	}

	var c gbv1.Camera
	if err := kube.Get(ctx, client.ObjectKey{Namespace: "east", Name: "b"}, &c); err != nil {
		t.Fatal(err)
	}
	c.Status.State = gbv1.StateOffline
	if err := kube.Status().Update(ctx, &c); err != nil {
		t.Fatal(err)
	}
	waitGauges(t, reg, "a Camera went Offline", map[string]float64{"cameras/east/Registered": 1, "cameras/east/Offline": 2})

	if err := kube.Delete(ctx, &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: "west", Name: "d"}}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Delete(ctx, &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: "east", Name: "c"}}); err != nil {
		t.Fatal(err)
	}
	waitGauges(t, reg, "two Cameras deleted", map[string]float64{"cameras/east/Registered": 1, "cameras/east/Offline": 1})
	testutil.EventuallyTrue(t, 30*time.Second, "west's gauges gone with its last Camera", func() bool {
		return !strings.Contains(gathered(t, reg), `namespace="west"`)
	})
}

// startCache starts kube-apiserver with the given namespaces and a cache of it that
// informs on Cameras and Streams, and returns a client of the API server and the cache.
func startCache(t *testing.T, namespaces ...string) (client.Client, cache.Cache) {
	t.Helper()
	cfg, scheme := kubetest.Start(t)
	// The cache ends before the API server stops (cleanups run last first), which
	// otherwise waits for its watches.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	informers, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(ctx) }()
	return kube, informers
}

// createCamera creates Camera ns/name, the i-th of a test, with the given state ("" for
// none).
func createCamera(t *testing.T, kube client.Client, ns, name string, i int, state gbv1.CameraState) {
	t.Helper()
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: gbv1.CameraSpec{
		DeviceID: fmt.Sprintf("3402000000132000%04d", i+1), CredentialsSecretRef: gbv1.SecretKeySelector{Name: "cred"}}}
	if err := kube.Create(t.Context(), cam); err != nil {
		t.Fatal(err)
	}
	if state == "" {
		return
	}
	cam.Status.State = state
	if err := kube.Status().Update(t.Context(), cam); err != nil {
		t.Fatal(err)
	}
}

// waitGauges waits until each gauge of reg, keyed "cameras|streams/namespace/state",
// has its wanted value.
func waitGauges(t *testing.T, reg prometheus.Gatherer, step string, want map[string]float64) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, step, func() error {
		for key, v := range want {
			parts := strings.SplitN(key, "/", 3)
			got, ok := gaugeValue(t, reg, "camera_operator_"+parts[0], parts[1], parts[2])
			if !ok || got != v {
				return fmt.Errorf("%s = %v (exported: %v), want %v", key, got, ok, v)
			}
		}
		return nil
	})
}

// gaugeValue is the value of gauge name{namespace, state} in reg, and whether reg
// exports it.
func gaugeValue(t *testing.T, reg prometheus.Gatherer, name, ns, state string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == ns && labels["state"] == state {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// gathered is reg's exposition as text.
func gathered(t *testing.T, reg prometheus.Gatherer) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		b.WriteString(mf.String())
	}
	return b.String()
}
