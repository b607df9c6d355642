package fleet

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func camera(ns, name string, state gbv1.CameraState) *gbv1.Camera {
	return &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: gbv1.CameraStatus{State: state}}
}

func stream(ns, name string, state gbv1.StreamState) *gbv1.Stream {
	return &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: gbv1.StreamStatus{State: state}}
}

// TestCollector: the leader exports every state of each namespace with objects, zero
// counts included and a Camera without status counted Pending; a standby exports none.
func TestCollector(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := gbv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	objs := []client.Object{
		camera("east", "a", gbv1.StateRegistered), camera("east", "b", gbv1.StateRegistered),
		camera("east", "c", gbv1.StateOffline), camera("west", "d", ""),
		stream("east", "live", gbv1.StreamPlaying),
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()

	standby := newCollector(c, make(chan struct{}), "s1")
	if n := testutil.CollectAndCount(standby); n != 0 {
		t.Errorf("a standby exports %d series, want none", n)
	}

	elected := make(chan struct{})
	close(elected)
	leader := newCollector(c, elected, "s1")
	if n := testutil.CollectAndCount(leader, "camera_operator_cameras"); n != 2*len(cameraStates) {
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
	if err := testutil.CollectAndCompare(leader, strings.NewReader(want), "camera_operator_streams"); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(leader); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ns, state string
		want      float64
	}{{"east", "Registered", 2}, {"east", "Offline", 1}, {"east", "AuthFailed", 0}, {"west", "Pending", 1}} {
		if got := gaugeValue(t, reg, "camera_operator_cameras", c.ns, c.state); got != c.want {
			t.Errorf("cameras{namespace=%q,state=%q} = %v, want %v", c.ns, c.state, got, c.want)
		}
	}
}

// gaugeValue is the value of gauge name{namespace, state} in reg; a missing one fails t.
func gaugeValue(t *testing.T, reg prometheus.Gatherer, name, ns, state string) float64 {
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
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{namespace=%q,state=%q}", name, ns, state)
	return 0
}
