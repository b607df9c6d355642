package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// apiOutage is how long kube-apiserver is down.
const apiOutage = 30 * time.Second

// testAPIServerDown: kube-apiserver stops for 30 s. SIP does not depend on it: the
// registered devices' keepalives keep being answered 200 and a device registering
// meanwhile (over TCP) is accepted from the credentials already cached. When the API is
// back, the status catches up: the newcomer's Camera turns Ready and the others record
// keepalives from after the outage (in their status, or their Lease).
func testAPIServerDown(t *testing.T, e *env) {
	const ns, password, first, n = "e2e-apiserver", "outage-Pa55", "34020000001320000401", 3
	const lateID = "34020000001320000410"
	e.apply(t, fleetManifest(t, ns, password, first, n)+
		camera(cameraSpec{ns: ns, name: "late", deviceID: lateID, secret: "creds"}))

	fleet := e.startCamsim(t, "fleet", "--id", first, "--count", strconv.Itoa(n), "--endpoints", strconv.Itoa(n),
		"--password", password)
	objs := make([]string, n)
	for i := range objs {
		objs[i] = fmt.Sprintf("camera/cam-%d", i+1)
	}
	e.wait(t, ns, "condition=Ready", 90*time.Second, objs...)

	down := time.Now()
	if err := e.cp.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		// Leave the control plane whole for whatever runs next, even on failure.
		if !restarted {
			_ = e.cp.StartAPIServer()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err := e.run(ctx, "", "get", "-n", ns, "cameras")
	cancel()
	if err == nil {
		t.Fatal("kubectl still works: the API server is not down")
	}

	before := fleet.progress()
	late := e.startCamsim(t, "late", "--id", lateID, "--transport", "tcp", "--password", password)
	late.waitProgress(t, 20*time.Second, "registered while the API is down", func(p progress) bool {
		return p.Registered == 1 || p.Failed > 0
	})
	// Three more keepalives per device, answered without the API.
	fleet.waitProgress(t, apiOutage, "keeping alive while the API is down", func(p progress) bool {
		return p.KeepalivesOK >= before.KeepalivesOK+3*n || p.KeepalivesFailed > 0 || p.Failed > 0
	})
	for name, d := range map[string]*devices{"fleet": fleet, "late": late} {
		if p := d.progress(); p.KeepalivesFailed > 0 || p.Failed > 0 {
			t.Errorf("%s: SIP failed while the API was down: %+v", name, p)
		}
	}
	e.operatorAlive(t)

	time.Sleep(time.Until(down.Add(apiOutage)))
	if err := e.cp.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	up := time.Now()
	t.Logf("kube-apiserver was down for %s", up.Sub(down).Round(time.Millisecond))

	// The status catches up: the newcomer is Ready, and the fleet's keepalives since the
	// API came back are recorded (at most --keepalive-status-interval apart), in the
	// Cameras' Leases.
	e.wait(t, ns, "condition=Ready", 2*time.Minute, "camera/late")
	t.Logf("the Camera of the device registered during the outage was Ready %s after the API came back", time.Since(up).Round(time.Millisecond))
	if got := e.jsonpath(t, ns, "camera/late", "{.status.registration.transport}"); got != string(gbv1.TransportTCP) {
		t.Errorf("late: transport %q, want TCP", got)
	}
	testutil.Eventually(t, 2*time.Minute, "keepalives after the outage recorded in status", func() error {
		for i := range n {
			name := fmt.Sprintf("cam-%d", i+1)
			c := e.camera(t, ns, name)
			if c.Status.State != gbv1.StateRegistered {
				return fmt.Errorf("%s is %s", name, c.Status.State)
			}
			// Liveness is recorded in the Camera's Lease between status writes: the
			// later of the two counts. Status times have a resolution of one second.
			var last time.Time
			if ka := c.Status.LastKeepaliveTime; ka != nil {
				last = ka.Time
			}
			ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
			renewed, err := e.run(ctx, "", "get", "-n", ns, "lease/"+name, "-o", "jsonpath={.spec.renewTime}")
			cancel()
			if r, perr := time.Parse(time.RFC3339Nano, renewed); err == nil && perr == nil && r.After(last) {
				last = r
			}
			if last.Before(up.Truncate(time.Second)) {
				return fmt.Errorf("%s: liveness last recorded at %s (lastKeepaliveTime, or its Lease's renewTime), the API came back at %s",
					name, last.Format(time.RFC3339), up.Format(time.RFC3339))
			}
		}
		return nil
	})
	t.Logf("keepalives since the outage recorded in every status %s after the API came back", time.Since(up).Round(time.Millisecond))

	for name, d := range map[string]*devices{"fleet": fleet, "late": late} {
		if s := d.interrupt(t); s.Failed != 0 || s.KeepalivesFailed != 0 || s.UnregisterFailed != 0 {
			t.Errorf("%s: %s", name, summaryString(s))
		}
	}
}
