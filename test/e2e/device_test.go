package e2e

import (
	"fmt"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// deviceCamera is a Camera manifest with the suite's keepalive pace and extra spec
// lines (indented for spec).
func deviceCamera(ns, name, deviceID, secret, spec string) string {
	return fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: Camera
metadata:
  name: %s
  namespace: %s
spec:
  deviceID: %q
  credentialsSecretRef:
    name: %s
%s---
`, name, ns, deviceID, secret, spec)
}

// testDevice: what devices tell of themselves reaches their Cameras. A camsim IPC whose
// clock runs 90 s behind is armed (spec.guard) and shows ClockSynchronized False with its
// offset; a camsim IPC that reboots without answering a DeviceConfig is written its
// keepalive settings once, registers again with them, and its Camera says Configured
// with the settings it reads back, while the device registers no more.
func testDevice(t *testing.T, e *env) {
	const ns, password = "e2e-device", "e2e-Pa55word"
	const clockOff, reboots = "34020000001320000901", "34020000001320000902"
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+
		deviceCamera(ns, "clock-off", clockOff, "creds", fmt.Sprintf("  guard: Armed\n  keepalive:\n    interval: %s\n    timeoutCount: 5\n", deviceKeepalive))+
		deviceCamera(ns, "reboots", reboots, "creds", "  keepalive:\n    interval: 3s\n    timeoutCount: 5\n    configureDevice: true\n"))

	skewed := e.startCamsim(t, "clock-off", "--id", clockOff, "--password", password, "--clock-skew", "-90s")
	rebooting := e.startCamsim(t, "reboots", "--id", reboots, "--password", password, "--reboot-on-config", "--reboot-delay", "1s")

	e.wait(t, ns, "condition=ClockSynchronized=False", 60*time.Second, "camera/clock-off")
	if got := e.condition(t, ns, "clock-off", gbv1.ConditionClockSynchronized); got != "False/"+gbv1.ReasonClockSkewed {
		t.Errorf("ClockSynchronized %s, want False/ClockSkewed", got)
	}
	offset, err := time.ParseDuration(e.jsonpath(t, ns, "camera/clock-off", "{.status.deviceStatus.clockOffset}"))
	if err != nil || (offset+90*time.Second).Abs() > 2*time.Second {
		t.Errorf("clockOffset %v (%v), want about -1m30s", offset, err)
	}
	if got := e.jsonpath(t, ns, "camera/clock-off", "{.status.deviceStatus.online}/{.status.deviceStatus.status}/{.status.deviceStatus.alarmInputs[0].id}"); got != "true/OK/"+clockOff {
		t.Errorf("deviceStatus online/status/alarm input %q", got)
	}
	e.wait(t, ns, "jsonpath={.status.guard}=Armed", 30*time.Second, "camera/clock-off")
	skewed.waitDevice(t, clockOff, 10*time.Second, "armed", func(s sim.DeviceState) bool { return s.Armed })

	e.wait(t, ns, "condition=DeviceConfigured", 60*time.Second, "camera/reboots")
	if got := e.jsonpath(t, ns, "camera/reboots", "{.status.deviceConfig.heartbeatInterval}/{.status.deviceConfig.heartbeatCount}"); got != "3s/5" {
		t.Errorf("deviceConfig %q, want the settings written, 3s/5", got)
	}
	rebooting.waitDevice(t, reboots, 10*time.Second, "keeping alive every 3s", func(s sim.DeviceState) bool {
		return s.KeepaliveInterval == 3*time.Second && s.KeepaliveMaxMiss == 5
	})
	registered := rebooting.progress().Registered
	if registered != 2 {
		t.Errorf("the device registered %d times, want 2: once, and once after the reboot", registered)
	}
	time.Sleep(5 * time.Second)
	if n := rebooting.progress().Registered; n != registered {
		t.Errorf("the device registered %d times more in 5s: it was configured again", n-registered)
	}
	if got := e.jsonpath(t, ns, "camera/reboots", "{.status.state}"); got != string(gbv1.StateRegistered) {
		t.Errorf("state %q, want Registered", got)
	}
}

// waitDevice waits until camsim's latest state line of device id satisfies ok.
func (d *devices) waitDevice(t *testing.T, id string, timeout time.Duration, what string, ok func(sim.DeviceState) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, seen := d.reports.Device(id)
		if seen && ok(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: device %s not %s within %v: %+v\n%s", d.name, id, what, timeout, s, d.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
