package controllers

import (
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// TestFleetMetrics: the operator exports its Cameras by namespace and state, and counts
// the status writes its controllers make, the Camera's by cause. Not parallel: the fleet gauges are those of
// the last operator started in the process.
func TestFleetMetrics(t *testing.T) {
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const id = "34020000001320000901"
	createSecret(t, c, ns, "gate-sip", map[string]string{"password": "s3cret"})
	createCamera(t, c, ns, "gate", id, "gate-sip")
	createCamera(t, c, ns, "door", "34020000001320000902", "gate-sip")
	waitKnown(t, op, id)
	writesBefore := sample(t, "camera_operator_status_writes_total", map[string]string{"kind": "Camera", "result": "ok"})
	stateWritesBefore := sample(t, "camera_operator_camera_status_writes_total", map[string]string{"cause": "state"})
	dev := newDevice(t, op, id, "s3cret")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d, want 200", code)
	}
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	testutil.Eventually(t, 10*time.Second, "the fleet gauges", func() error {
		for state, want := range map[string]float64{"Registered": 1, "Pending": 1, "Offline": 0} {
			if got := sample(t, "camera_operator_cameras", map[string]string{"namespace": ns, "state": state}); got != want {
				return fmt.Errorf("camera_operator_cameras{state=%q} = %v, want %v", state, got, want)
			}
		}
		return nil
	})
	if after := sample(t, "camera_operator_status_writes_total", map[string]string{"kind": "Camera", "result": "ok"}); after <= writesBefore {
		t.Errorf("Camera status writes counted %v before the registration and %v after", writesBefore, after)
	}
	if after := sample(t, "camera_operator_camera_status_writes_total", map[string]string{"cause": "state"}); after <= stateWritesBefore {
		t.Errorf("Camera status writes that changed the state: %v before the registration and %v after", stateWritesBefore, after)
	}
}

// sample is the value of the gauge or counter name whose labels include labels in the
// operator's registry, -1 when there is none.
func sample(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metric
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}
