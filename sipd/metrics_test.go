package sipd_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestMetricsRecorded(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := sipdtest.StartT(t, sipd.Config{Registerer: reg}, devStore())
	d := device(t, s, "udp", devID, devPW)
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	if _, err := d.Keepalive(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sipd_active_bindings", nil, 1},
		{"sipd_keepalives_total", nil, 1},
		{"sipd_registrations_total", map[string]string{"result": "registered"}, 1},
		{"sipd_registrations_total", map[string]string{"result": "challenged"}, 1},
	}
	for _, c := range checks {
		if got := metricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "sipd_request_duration_seconds"); err != nil || n == 0 {
		t.Errorf("latency histogram: %d %v", n, err)
	}
}

// metricValue is the sum of the gauges or counters called name in reg whose labels
// include labels (all of them when labels is empty). A metric reg lacks fails t.
func metricValue(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
		for _, m := range mf.GetMetric() {
			matched := 0
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					matched++
				}
			}
			if matched != len(labels) {
				continue
			}
			if m.Gauge != nil {
				sum += m.Gauge.GetValue()
			} else {
				sum += m.Counter.GetValue()
			}
		}
		return sum
	}
	t.Fatalf("metric %s missing", name)
	return 0
}
