package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// testMetrics: a running operator, leader-elected and sharded as the chart runs it,
// exports every metric the chart's dashboard and alert rules query
// (hack/monitoring/queried-metrics.txt), and its fleet gauges count its Cameras and
// Streams by namespace, state and shard.
func testMetrics(t *testing.T, e *env) {
	const ns, password, id = "e2e-metrics", "e2e-M3trics", "34020000001320000701"
	recv, err := rtprecv.Listen(0, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = recv.Close() })
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+
		camera(cameraSpec{ns: ns, name: "gate", deviceID: id, secret: "creds", shard: "metrics"})+
		stream(ns, "live", "gate", "", "UDP", recv.Port()))
	metricsAddr := testutil.FreeTCPAddr(t)
	op := e.startShard(t, ns, "metrics", "--metrics-bind-address="+metricsAddr)
	// Alarms too: the alarm counter has series only once a device raised one.
	e.startCamsim(t, "gate", "--server", op.sipAddr, "--id", id, "--password", password, "--alarm-interval", "2s", "--alarm-without-guard")
	e.wait(t, ns, "jsonpath={.status.state}=Playing", 90*time.Second, "stream/live")

	want := queriedMetrics(t)
	testutil.Eventually(t, 30*time.Second, "every queried metric exported", func() error {
		families, err := scrape(metricsAddr)
		if err != nil {
			return err
		}
		var missing []string
		for _, name := range want {
			if !families.has(name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("the operator does not export %v", missing)
		}
		for _, g := range []struct {
			family, state string
		}{{"camera_operator_cameras", "Registered"}, {"camera_operator_streams", "Playing"}} {
			if v, ok := families.gauge(g.family, map[string]string{"namespace": ns, "state": g.state, "shard": "metrics"}); !ok || v != 1 {
				return fmt.Errorf("%s{namespace=%q,state=%q,shard=\"metrics\"} = %v (exported: %v), want 1", g.family, ns, g.state, v, ok)
			}
		}
		return nil
	})
}

// queriedMetrics reads the list hack/monitoring generates from the dashboard and the
// alert rules.
func queriedMetrics(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(kubetest.RepoRoot(), "hack", "monitoring", "queried-metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	if err := sc.Err(); err != nil || len(names) < 10 {
		t.Fatalf("hack/monitoring/queried-metrics.txt: %d names, %v", len(names), err)
	}
	return names
}

// exposition is one scrape, by family name.
type exposition map[string]*dto.MetricFamily

// scrape reads the operator's /metrics at addr.
func scrape(addr string) (exposition, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// has reports whether the scrape holds a series named name: a family's own name, or
// a histogram's _bucket, _sum or _count.
func (x exposition) has(name string) bool {
	if mf, ok := x[name]; ok && len(mf.GetMetric()) > 0 {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if mf, ok := x[base]; ok && mf.GetType() == dto.MetricType_HISTOGRAM && len(mf.GetMetric()) > 0 {
				return true
			}
		}
	}
	return false
}

// gauge is the value of family's gauge with exactly labels.
func (x exposition) gauge(family string, labels map[string]string) (float64, bool) {
	mf, ok := x[family]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if match {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
