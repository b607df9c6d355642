package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// testCommands: CameraCommands applied with kubectl move a camsim dome camera. A 2 s
// move and a preset stored after it, applied together, go in order: the dome turns by
// twice its speed, stops, and the preset holds where it stopped; `kubectl get
// cameracommands` shows them Succeeded with what was sent, and `kubectl describe
// camera` the audit Events. A long move deleted midway stops at once. What is checked
// is camsim's own account of its state (its JSON device lines).
//
// Its device ID (06xx) is its own: scenarios share the operator.
func testCommands(t *testing.T, e *env) {
	const ns, password, id = "e2e-commands", "e2e-Pa55word", "34020000001320001001"
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+camera(cameraSpec{ns: ns, name: "dome", deviceID: id, secret: "creds"}))
	dome := e.startCamsim(t, "dome", "--id", id, "--password", password)
	e.wait(t, ns, "jsonpath={.status.state}=Registered", 60*time.Second, "camera/dome")

	// Names in creation order: applied in one go, they share a creationTimestamp second.
	e.apply(t, ptzMove(ns, "a-turn", "dome", 30, 0, "2s")+cameraCommand(ns, "b-store", "dome", "preset:\n    action: Set\n    index: 3"))
	e.wait(t, ns, "jsonpath={.status.phase}=Succeeded", 60*time.Second, "cameracommand/a-turn", "cameracommand/b-store")
	state := waitDeviceState(t, dome, id, "preset set 3")
	p := state.PTZ[id]
	if p.Velocity != (sim.PTZPosition{}) || math.Abs(p.Pan-60) > 6 || p.Tilt != 0 {
		t.Errorf("after 2s at pan 30 the dome reports %+v, want still at pan 60", p)
	}
	if len(p.Presets) != 1 || p.Presets[0].ID != 3 {
		t.Errorf("presets %+v, want 3, stored after the move", p.Presets)
	}

	out := e.kubectlOK(t, "get", "cameracommands", "-n", ns)
	t.Logf("kubectl get cameracommands:\n%s", out)
	for _, want := range []string{"a-turn", "PTZCmd A50F01011E0000D4", "b-store", "PTZCmd A50F018100030039", "Succeeded", "Accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get cameracommands does not show %q:\n%s", want, out)
		}
	}
	testutil.Eventually(t, 30*time.Second, "the audit Events on the Camera", func() error {
		if d := e.kubectlOK(t, "describe", "camera", "-n", ns, "dome"); strings.Count(d, "CommandSent") < 2 {
			return fmt.Errorf("kubectl describe camera shows %d CommandSent events", strings.Count(d, "CommandSent"))
		}
		return nil
	})

	// A 30 s move deleted after a second: its finalizer sends the stop at once.
	e.apply(t, ptzMove(ns, "c-sweep", "dome", 10, 0, "30s"))
	e.wait(t, ns, "jsonpath={.status.phase}=Sent", 60*time.Second, "cameracommand/c-sweep")
	time.Sleep(time.Second)
	e.kubectlOK(t, "delete", "-n", ns, "cameracommand/c-sweep", "--wait=true", "--timeout=30s")
	state = waitDeviceState(t, dome, id, "PTZ stop")
	if p := state.PTZ[id]; p.Velocity != (sim.PTZPosition{}) || p.Pan < 62 || p.Pan > 60+10*5 {
		t.Errorf("after the delete the dome reports %+v, want still, a second or two of pan 10 past 60", p)
	}
	dome.interrupt(t)
}

// waitDeviceState waits until camsim reports the device's last command as last.
func waitDeviceState(t *testing.T, d *devices, id, last string) sim.DeviceState {
	t.Helper()
	var state sim.DeviceState
	testutil.Eventually(t, 30*time.Second, "camsim reports "+last, func() error {
		s, ok := d.reports.Device(id)
		if !ok || s.LastCommand != last {
			return fmt.Errorf("last command %q", s.LastCommand)
		}
		state = s
		return nil
	})
	return state
}

// ptzMove is the manifest of a move of camera at pan and tilt speeds for duration.
func ptzMove(ns, name, camera string, pan, tilt int, duration string) string {
	return cameraCommand(ns, name, camera, fmt.Sprintf("ptz:\n    pan: %d\n    tilt: %d\n    duration: %s", pan, tilt, duration))
}

// cameraCommand is the manifest of a CameraCommand of camera whose command is body
// (YAML indented under spec).
func cameraCommand(ns, name, camera, body string) string {
	return fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: CameraCommand
metadata:
  name: %s
  namespace: %s
spec:
  cameraRef:
    name: %s
  %s
---
`, name, ns, camera, body)
}
