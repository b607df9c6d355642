package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// fleetManifest is a namespace, a Secret and n Cameras cam-1..cam-n for the device IDs
// counted up from first, as `camsim --count n --id first` simulates them.
func fleetManifest(t *testing.T, ns, password, first string, n int) string {
	t.Helper()
	m := namespace(ns) + secret(ns, "creds", password)
	for i := range n {
		id, err := sim.NextID(first, i)
		if err != nil {
			t.Fatal(err)
		}
		m += camera(cameraSpec{ns: ns, name: fmt.Sprintf("cam-%d", i+1), deviceID: id, secret: "creds"})
	}
	return m
}

// testOperatorKilled: the operator is killed with SIGKILL while five UDP devices keep
// alive, and started again. The new process rebuilds its registrations from the Cameras'
// status: every keepalive is answered 200 (those sent while no process listened are
// retransmitted until one does), no device is made to register again, and no Camera
// leaves Registered at any moment.
func testOperatorKilled(t *testing.T, e *env) {
	const operatorDown = deviceKeepalive + time.Second
	const ns, password, first, n = "e2e-restart", "restart-Pa55", "34020000001320000301", 5
	e.apply(t, fleetManifest(t, ns, password, first, n))

	// One socket per device, as real devices have. A keepalive sent while the operator is
	// down is retransmitted (RFC 3261 timer E) for up to 30 s before it counts as lost.
	d := e.startCamsim(t, "fleet", "--id", first, "--count", strconv.Itoa(n), "--endpoints", strconv.Itoa(n),
		"--password", password, "--timeout", "30s")
	e.wait(t, ns, "condition=Ready", 90*time.Second, "cameras", "--all")
	d.waitProgress(t, 30*time.Second, "registered and keeping alive", func(p progress) bool {
		return p.Registered == n && p.KeepalivesOK >= n
	})

	w := e.watchStates(t, ns)
	e.killOperator(t)
	t.Logf("operator killed; devices so far: %+v", d.progress())
	// Down for longer than a keepalive interval, so every device sends one meanwhile.
	time.Sleep(operatorDown)
	e.startOperator(t)
	restarted := d.progress()
	t.Logf("operator restarted; devices so far: %+v", restarted)

	// Two more keepalives per device, all answered by the new process, or a failure.
	p := d.waitProgress(t, 60*time.Second, "keeping alive through the restarted operator", func(p progress) bool {
		return p.KeepalivesOK >= restarted.KeepalivesOK+2*n || p.KeepalivesFailed > 0 || p.Failed > 0 || p.Registered > n
	})
	if p.KeepalivesFailed > 0 || p.Failed > 0 || p.Registered > n {
		t.Errorf("keepalives not all answered 200 across the restart, or devices had to register again: %+v", p)
	}
	e.wait(t, ns, "condition=Ready", 10*time.Second, "cameras", "--all")

	seen := map[string]bool{}
	for _, line := range w.stop() {
		name, state, _ := strings.Cut(line, " ")
		seen[name] = true
		if state != string(gbv1.StateRegistered) {
			t.Errorf("Camera %s was seen %q across the restart, want Registered throughout", name, state)
		}
	}
	if len(seen) != n {
		t.Errorf("the watch saw %d Cameras, want %d: it checked nothing", len(seen), n)
	}

	s := d.interrupt(t)
	if s.Registered != n || s.Failed != 0 || s.KeepalivesFailed != 0 || s.Unregistered != n {
		t.Errorf("want %d registrations, each unregistered, and no failure: %s", n, summaryString(s))
	}
}
