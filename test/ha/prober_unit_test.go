package ha

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestProberThresholds: the stand-in kubelet's verdict turns as the kubelet's does,
// after successThreshold successes or failureThreshold failures in a row, and not
// before the initial delay.
func TestProberThresholds(t *testing.T) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	portNum, _ := strconv.Atoi(port)
	c := corev1.Container{Name: "manager", Ports: []corev1.ContainerPort{{Name: "probes", ContainerPort: int32(portNum)}}}
	spec := &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("probes")}},
		InitialDelaySeconds: 5, PeriodSeconds: 1, SuccessThreshold: 2, FailureThreshold: 3,
	}
	start := time.Now()
	p, err := newProber(spec, c, host, start, false)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at      time.Duration // since start
		healthy bool
		want    bool
	}{
		{at: 1 * time.Second, healthy: true, want: false},         // before the initial delay: no attempt
		{at: 5 * time.Second, healthy: true, want: false},         // one success of two
		{at: 6 * time.Second, healthy: true, want: true},          // two in a row
		{at: 7 * time.Second, healthy: false, want: true},         // one failure of three
		{at: 7500 * time.Millisecond, healthy: false, want: true}, // within the period: no attempt
		{at: 8 * time.Second, healthy: false, want: true},
		{at: 9 * time.Second, healthy: false, want: false}, // three in a row
	}
	for _, s := range steps {
		healthy.Store(s.healthy)
		p.probe(start.Add(s.at))
		if p.ok != s.want {
			t.Fatalf("at %s (serving %t): verdict %t, want %t (last error %v)", s.at, s.healthy, p.ok, s.want, p.lastErr)
		}
	}
}
