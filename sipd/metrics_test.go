package sipd_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	itest "github.com/gb28181/camera-operator/internal/testutil"
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

// TestTransportMetrics: sipd_tcp_connections follows the devices' TCP connections, and
// every UDP datagram handled is observed in sipd_udp_queue_delay_seconds.
func TestTransportMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := sipdtest.StartT(t, sipd.Config{Registerer: reg}, devStore())
	tcp := device(t, s, "tcp", devID, devPW)
	if res, err := tcp.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	if got := metricValue(t, reg, "sipd_tcp_connections", nil); got != 1 {
		t.Errorf("sipd_tcp_connections = %v with one device on TCP, want 1", got)
	}
	tcp.Close()
	itest.EventuallyTrue(t, 5*time.Second, "the closed connection uncounted", func() bool {
		return metricValue(t, reg, "sipd_tcp_connections", nil) == 0
	})

	udp := device(t, s, "udp", devID, devPW)
	if res, err := udp.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	// The REGISTER and its authenticated retry: two datagrams through the queue.
	if n := histogramCount(t, reg, "sipd_udp_queue_delay_seconds"); n < 2 {
		t.Errorf("sipd_udp_queue_delay_seconds counted %d datagrams, want at least 2", n)
	}
}

// histogramCount is the sample count of the histogram called name in reg.
func histogramCount(t testing.TB, reg prometheus.Gatherer, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var n uint64
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
			return n
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
