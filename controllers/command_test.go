package controllers

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/command"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// fastCommands give up on a missing Camera or a silent device within seconds.
var fastCommands = command.Options{CameraWait: 2 * time.Second, ControlTimeout: 2 * time.Second,
	RetryInterval: 200 * time.Millisecond, StopRetryWindow: 5 * time.Second}

func createCommand(t *testing.T, c client.Client, ns, name, camera string, spec gbv1.CameraCommandSpec) {
	t.Helper()
	spec.CameraRef = gbv1.LocalObjectReference{Name: camera}
	cmd := &gbv1.CameraCommand{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if err := c.Create(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
}

func getCommand(t *testing.T, c client.Client, ns, name string) *gbv1.CameraCommand {
	t.Helper()
	var cmd gbv1.CameraCommand
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &cmd); err != nil {
		t.Fatal(err)
	}
	return &cmd
}

// waitCommand waits until the command is in phase with the Succeeded condition's reason
// and returns it.
func waitCommand(t *testing.T, c client.Client, ns, name string, phase gbv1.CameraCommandPhase, reason string) *gbv1.CameraCommand {
	t.Helper()
	var last gbv1.CameraCommand
	testutil.Eventually(t, 20*time.Second, fmt.Sprintf("command %s %s/%s", name, phase, reason), func() error {
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &last); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(last.Status.Conditions, gbv1.ConditionSucceeded)
		if cond == nil {
			return fmt.Errorf("phase %q, no Succeeded condition", last.Status.Phase)
		}
		if last.Status.Phase != phase || cond.Reason != reason {
			return fmt.Errorf("phase %q reason %q (%s)", last.Status.Phase, cond.Reason, cond.Message)
		}
		return nil
	})
	return &last
}

// waitCommandGone waits until the command no longer exists.
func waitCommandGone(t *testing.T, c client.Client, ns, name string, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, "command "+name+" gone", func() error {
		var cmd gbv1.CameraCommand
		err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &cmd)
		if err == nil {
			return fmt.Errorf("still there: phase %q, finalizers %v", cmd.Status.Phase, cmd.Finalizers)
		}
		return client.IgnoreNotFound(err)
	})
}

// waitReleased waits until a finished command holds no finalizer: a move's is removed
// right after its last status write.
func waitReleased(t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, name+" released", func() error {
		if f := getCommand(t, c, ns, name).Finalizers; len(f) != 0 {
			return fmt.Errorf("finalizers %v", f)
		}
		return nil
	})
}

// staysPut checks that the channel does not move, and stays where it is for half a
// second.
func staysPut(t *testing.T, dev *sim.Device, channel string) sim.PTZState {
	t.Helper()
	before := dev.PTZ(channel)
	if before.Moving() {
		t.Fatalf("the camera still moves: %+v", before)
	}
	time.Sleep(500 * time.Millisecond)
	if after := dev.PTZ(channel); after.PTZPosition != before.PTZPosition {
		t.Fatalf("the camera moved after its stop: %+v, then %+v", before.PTZPosition, after.PTZPosition)
	}
	return before
}

// movedFor checks the device's last finished motion against the command st that made
// it: the speeds asked, the camera still, and a duration the operator's stop did not cut
// short. The operator times the stop from the move's sending (status.sentAt), and the
// device took the move at the latest when it was answered (status.answeredAt), so the
// device saw it last at least d less that lag (and a millisecond for the clocks). How
// much longer than d it moved is the loaded machine's scheduling, which no test asserts.
func movedFor(p sim.PTZState, want sim.PTZPosition, d time.Duration, st gbv1.CameraCommandStatus) error {
	if p.Moving() {
		return fmt.Errorf("still moving: %+v", p)
	}
	if st.SentAt == nil || st.AnsweredAt == nil {
		return fmt.Errorf("the move's status has no sentAt or answeredAt: %+v", st)
	}
	least := d - st.AnsweredAt.Sub(st.SentAt.Time) - time.Millisecond
	m := lastMotion(p)
	if m.Velocity != want || m.Duration < least {
		return fmt.Errorf("the last motion was %+v, want %+v for %v or more (motions %+v)", m, want, least, p.Motions)
	}
	return nil
}

// lastMotion is p's last finished motion (zero when none).
func lastMotion(p sim.PTZState) sim.PTZMotion {
	if len(p.Motions) == 0 {
		return sim.PTZMotion{}
	}
	return p.Motions[len(p.Motions)-1]
}

// near reports whether got is within 10% (and 2 units) of want.
func near(got, want float64) bool {
	return math.Abs(got-want) <= math.Max(2, math.Abs(want)*0.1)
}

// presetLog records what the PresetWatcher is told.
type presetLog struct {
	mu  sync.Mutex
	ids []string
}

func (p *presetLog) PresetsChanged(deviceID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, deviceID)
}

func (p *presetLog) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ids)
}

// TestCommandEachKind sends every kind of command to a simulated IPC, one after the
// other, and checks what the device did, what status says was sent and answered, the
// Camera's audit Events, and that the PresetWatcher hears of preset sets and deletes
// only. A reboot goes last: the device unregisters.
func TestCommandEachKind(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	presets := &presetLog{}
	opts := fastCommands
	opts.Presets = presets
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: opts})
	const id = "34020000001320000701"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{Control: sim.ControlConfig{RebootDelay: time.Hour}})
	ptz := func() sim.PTZState { return dev.PTZ(id) }
	second := &metav1.Duration{Duration: time.Second}
	var atPreset7 sim.PTZPosition     // where the pan ended, stored as preset 7
	var sent gbv1.CameraCommandStatus // the status of the step's command

	steps := []struct {
		name        string
		spec        gbv1.CameraCommandSpec
		sent        string // status.command
		result      string
		presetCalls int // PresetsChanged calls so far
		check       func() error
	}{
		{"pan-right", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 40, Duration: second}}, "PTZCmd A50F0101280000DE", "Accepted", 0, func() error {
			p := ptz()
			if err := movedFor(p, sim.PTZPosition{Pan: 40}, time.Second, sent); err != nil {
				return err
			}
			if !near(p.Pan, 40*lastMotion(p).Duration.Seconds()) {
				return fmt.Errorf("after %v at pan 40: %+v", lastMotion(p).Duration, p)
			}
			atPreset7 = p.PTZPosition
			return nil
		}},
		{"preset-set", gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Set", Index: 7}}, "PTZCmd A50F01810007003D", "Accepted", 1, func() error {
			if p := ptz(); len(p.Presets) != 1 || p.Presets[0].ID != 7 {
				return fmt.Errorf("presets %+v, want 7", p.Presets)
			}
			return nil
		}},
		{"tilt-down", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Tilt: -30, Duration: second}}, "PTZCmd A50F0104001E00D7", "Accepted", 1, func() error {
			p := ptz()
			if err := movedFor(p, sim.PTZPosition{Tilt: -30}, time.Second, sent); err != nil {
				return err
			}
			if !near(p.Tilt, -30*lastMotion(p).Duration.Seconds()) {
				return fmt.Errorf("after %v at tilt -30: %+v", lastMotion(p).Duration, p)
			}
			return nil
		}},
		{"preset-goto", gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Goto", Index: 7}}, "PTZCmd A50F01820007003E", "Accepted", 1, func() error {
			if p := ptz(); p.PTZPosition != atPreset7 {
				return fmt.Errorf("at %+v, want back at preset 7 %+v", p.PTZPosition, atPreset7)
			}
			return nil
		}},
		{"preset-delete", gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Delete", Index: 7}}, "PTZCmd A50F01830007003F", "Accepted", 2, func() error {
			if p := ptz(); len(p.Presets) != 0 {
				return fmt.Errorf("presets %+v after the delete", p.Presets)
			}
			return nil
		}},
		{"cruise-start", gbv1.CameraCommandSpec{Cruise: &gbv1.CruiseCommand{Action: "Start", Group: 2}}, "PTZCmd A50F01880200003F", "Accepted", 2, tour(ptz, "cruise 2")},
		{"cruise-stop", gbv1.CameraCommandSpec{Cruise: &gbv1.CruiseCommand{Action: "Stop", Group: 2}}, "PTZCmd A50F0100000000B5", "Accepted", 2, tour(ptz, "")},
		{"scan-start", gbv1.CameraCommandSpec{Scan: &gbv1.ScanCommand{Action: "Start", Group: 1}}, "PTZCmd A50F01890100003F", "Accepted", 2, tour(ptz, "scan 1")},
		{"scan-stop", gbv1.CameraCommandSpec{Scan: &gbv1.ScanCommand{Action: "Stop", Group: 1}}, "PTZCmd A50F0100000000B5", "Accepted", 2, tour(ptz, "")},
		{"ptz-stop", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Stop: true}}, "PTZCmd A50F0100000000B5", "Accepted", 2, lastCommand(dev, "PTZ stop")},
		{"record-start", gbv1.CameraCommandSpec{Record: &gbv1.RecordCommand{Action: "Start"}}, "RecordCmd Record", "OK", 2, func() error {
			if !dev.Recording() {
				return fmt.Errorf("not recording")
			}
			return nil
		}},
		{"record-stop", gbv1.CameraCommandSpec{Record: &gbv1.RecordCommand{Action: "Stop"}}, "RecordCmd StopRecord", "OK", 2, func() error {
			if dev.Recording() {
				return fmt.Errorf("still recording")
			}
			return nil
		}},
		{"keyframe", gbv1.CameraCommandSpec{Keyframe: &gbv1.KeyframeCommand{}}, "IFameCmd Send", "Accepted", 2, lastCommand(dev, "IFameCmd Send")},
		{"reset-alarm", gbv1.CameraCommandSpec{ResetAlarm: &gbv1.ResetAlarmCommand{Method: 5, Type: "2"}}, "AlarmCmd ResetAlarm AlarmMethod 5 AlarmType 2", "OK", 2,
			lastCommand(dev, "AlarmCmd ResetAlarm method 5 type 2")},
		{"home", gbv1.CameraCommandSpec{HomePosition: &gbv1.HomePositionCommand{Enabled: true, PresetIndex: 3, ResetTime: &metav1.Duration{Duration: 45 * time.Second}}},
			"HomePosition Enabled 1 ResetTime 45 PresetIndex 3", "OK", 2, func() error {
				if h := ptz().Home; h == nil || *h != (manscdp.HomePosition{Enabled: true, ResetTime: 45, PresetIndex: 3}) {
					return fmt.Errorf("home %+v", h)
				}
				return nil
			}},
		{"drag-in", gbv1.CameraCommandSpec{DragZoom: &gbv1.DragZoomCommand{Direction: "In", Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}},
			"DragZoomIn Length 1920 Width 1080 MidPointX 960 MidPointY 540 LengthX 200 LengthY 100", "Accepted", 2, zoom(ptz, 1)},
		{"drag-out", gbv1.CameraCommandSpec{DragZoom: &gbv1.DragZoomCommand{Direction: "Out", Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}},
			"DragZoomOut Length 1920 Width 1080 MidPointX 960 MidPointY 540 LengthX 200 LengthY 100", "Accepted", 2, zoom(ptz, 0)},
		{"reboot", gbv1.CameraCommandSpec{Reboot: &gbv1.RebootCommand{}}, "TeleBoot Boot", "Accepted", 2, lastCommand(dev, "TeleBoot")},
	}
	for _, s := range steps {
		createCommand(t, c, ns, s.name, "ipc", s.spec)
		cmd := waitCommand(t, c, ns, s.name, gbv1.CommandSucceeded, gbv1.ReasonDone)
		st := cmd.Status
		if st.Command != s.sent || st.Result != s.result || st.SentAt == nil || st.AnsweredAt == nil || st.CompletionTime == nil {
			t.Errorf("%s: status command %q result %q sentAt %v answeredAt %v completionTime %v; want %q %q and the times",
				s.name, st.Command, st.Result, st.SentAt, st.AnsweredAt, st.CompletionTime, s.sent, s.result)
		}
		sent = st
		if err := s.check(); err != nil {
			t.Errorf("%s: %v (device state %+v)", s.name, err, dev.State())
		}
		if calls := presets.calls(); len(calls) != s.presetCalls || slices.ContainsFunc(calls, func(c string) bool { return c != id }) {
			t.Errorf("%s: PresetWatcher told %v, want %d calls for %s", s.name, calls, s.presetCalls, id)
		}
		waitReleased(t, c, ns, s.name)
	}
	waitCamera(t, c, ns, "ipc", 10*time.Second, inState(gbv1.StateUnregistered, "", ""))

	// The Camera's Events are the audit trail: one CommandSent per command.
	testutil.Eventually(t, 15*time.Second, "CommandSent events", func() error {
		got, err := eventReasons(c, ns, "ipc")
		if err != nil {
			return err
		}
		if got["CommandSent"] != len(steps) {
			return fmt.Errorf("%d CommandSent events, want %d", got["CommandSent"], len(steps))
		}
		return nil
	})
	waitKindEvents(t, c, ns, "CameraCommand", "pan-right", gbv1.ReasonSent, "Stopped", gbv1.ReasonDone)
}

func tour(ptz func() sim.PTZState, want string) func() error {
	return func() error {
		if p := ptz(); p.Tour != want {
			return fmt.Errorf("tour %q, want %q", p.Tour, want)
		}
		return nil
	}
}

func zoom(ptz func() sim.PTZState, want float64) func() error {
	return func() error {
		if p := ptz(); p.Zoom != want {
			return fmt.Errorf("zoom %v, want %v", p.Zoom, want)
		}
		return nil
	}
}

func lastCommand(dev *sim.Device, want string) func() error {
	return func() error {
		if got := dev.LastCommand(); got != want {
			return fmt.Errorf("last command %q, want %q", got, want)
		}
		return nil
	}
}

// TestCommandMoveThenStop: a move of 2 s at pan 32, tilt -16 turns the camera by about
// 64 and -32, then the operator's stop holds it there. The command is written as a user
// writes YAML, with a zero speed spelled out (zoom: 0), which the operator's own
// serialization of the spec would leave out: its finalizer must not touch the spec.
func TestCommandMoveThenStop(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: fastCommands})
	const id = "34020000001320000702"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})

	move := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gbv1.GroupVersion.String(), "kind": "CameraCommand",
		"metadata": map[string]any{"namespace": ns, "name": "move"},
		"spec": map[string]any{
			"cameraRef": map[string]any{"name": "ipc"},
			"ptz":       map[string]any{"pan": int64(32), "tilt": int64(-16), "zoom": int64(0), "duration": "2s"},
		},
	}}
	if err := c.Create(context.Background(), move); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the move answered", func() error {
		sent := getCommand(t, c, ns, "move")
		if sent.Status.AnsweredAt == nil {
			return fmt.Errorf("phase %q", sent.Status.Phase)
		}
		if sent.Status.Phase != gbv1.CommandSent || !dev.PTZ(id).Moving() || len(sent.Finalizers) != 1 {
			t.Fatalf("during the move: phase %q, device %+v, finalizers %v; want Sent, moving and the stop finalizer", sent.Status.Phase, dev.PTZ(id), sent.Finalizers)
		}
		return nil
	})
	cmd := waitCommand(t, c, ns, "move", gbv1.CommandSucceeded, gbv1.ReasonDone)
	p := staysPut(t, dev, id)
	if err := movedFor(p, sim.PTZPosition{Pan: 32, Tilt: -16}, 2*time.Second, cmd.Status); err != nil {
		t.Error(err)
	}
	if d := lastMotion(p).Duration.Seconds(); !near(p.Pan, 32*d) || !near(p.Tilt, -16*d) {
		t.Errorf("after %.2fs at pan 32, tilt -16 the camera is at %+v", d, p.PTZPosition)
	}
	// The stop is timed from the move's sending; how much later than asked it went is
	// the machine's scheduling, not asserted.
	if moved := cmd.Status.StoppedAt.Sub(cmd.Status.SentAt.Time); moved < 2*time.Second {
		t.Errorf("the stop went %v after the move, want 2s", moved)
	}
	waitReleased(t, c, ns, "move")
	t.Logf("moved to %+v in %v", p.PTZPosition, cmd.Status.StoppedAt.Sub(cmd.Status.SentAt.Time))
}

// TestCommandOrder: a Camera's commands go one at a time in creation order, by
// creationTimestamp before name: a command created a second later waits for a move to
// end even though its name sorts first, and the preset it stores is where the move
// ended.
func TestCommandOrder(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: fastCommands})
	const id = "34020000001320000703"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})

	createCommand(t, c, ns, "z-move", "ipc", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 50, Duration: &metav1.Duration{Duration: 2 * time.Second}}})
	time.Sleep(1100 * time.Millisecond) // a later creationTimestamp
	createCommand(t, c, ns, "a-store", "ipc", gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Set", Index: 1}})
	createCommand(t, c, ns, "b-tilt", "ipc", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Tilt: 20, Duration: &metav1.Duration{Duration: time.Second}}})
	waitCommand(t, c, ns, "a-store", gbv1.CommandPending, gbv1.ReasonWaiting)

	move := waitCommand(t, c, ns, "z-move", gbv1.CommandSucceeded, gbv1.ReasonDone)
	store := waitCommand(t, c, ns, "a-store", gbv1.CommandSucceeded, gbv1.ReasonDone)
	tilt := waitCommand(t, c, ns, "b-tilt", gbv1.CommandSucceeded, gbv1.ReasonDone)
	if !store.Status.SentAt.After(move.Status.StoppedAt.Time) {
		t.Errorf("a-store was sent at %v, before z-move's stop at %v", store.Status.SentAt, move.Status.StoppedAt)
	}
	if !tilt.Status.SentAt.After(store.Status.AnsweredAt.Time) {
		t.Errorf("b-tilt was sent at %v, before a-store was answered at %v", tilt.Status.SentAt, store.Status.AnsweredAt)
	}
	p := staysPut(t, dev, id)
	if n := len(p.Motions); n != 2 {
		t.Fatalf("motions %+v, want the pan then the tilt", p.Motions)
	}
	panMotion, tiltMotion := p.Motions[0], p.Motions[1]
	if err := movedFor(sim.PTZState{Motions: []sim.PTZMotion{panMotion}}, sim.PTZPosition{Pan: 50}, 2*time.Second, move.Status); err != nil {
		t.Errorf("z-move: %v", err)
	}
	if err := movedFor(p, sim.PTZPosition{Tilt: 20}, time.Second, tilt.Status); err != nil {
		t.Errorf("b-tilt: %v", err)
	}
	endOfPan := 50 * panMotion.Duration.Seconds()
	if !near(p.Pan, endOfPan) || !near(p.Tilt, 20*tiltMotion.Duration.Seconds()) {
		t.Errorf("the camera is at %+v after %v at pan 50 and %v at tilt 20", p.PTZPosition, panMotion.Duration, tiltMotion.Duration)
	}
	// Preset 1 holds the position the move ended at: it was stored after the move.
	createCommand(t, c, ns, "c-back", "ipc", gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Goto", Index: 1}})
	waitCommand(t, c, ns, "c-back", gbv1.CommandSucceeded, gbv1.ReasonDone)
	if p := dev.PTZ(id); !near(p.Pan, endOfPan) || p.Tilt != 0 {
		t.Errorf("preset 1 is at %+v, want where the move ended (pan %.1f, tilt 0)", p.PTZPosition, endOfPan)
	}
	waitKindEvents(t, c, ns, "CameraCommand", "a-store", gbv1.ReasonWaiting, gbv1.ReasonSent, gbv1.ReasonDone)
}

// TestCommandStopsWhenDeletedMidMove: deleting a command during its 30 s move sends the
// stop at once; the finalizer then lets the command go.
func TestCommandStopsWhenDeletedMidMove(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: fastCommands})
	const id = "34020000001320000704"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})

	createCommand(t, c, ns, "long", "ipc", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 20, Duration: &metav1.Duration{Duration: 30 * time.Second}}})
	cmd := waitCommand(t, c, ns, "long", gbv1.CommandSent, gbv1.ReasonSent)
	testutil.EventuallyTrue(t, 5*time.Second, "the camera moves", func() bool { return dev.PTZ(id).Moving() })
	time.Sleep(time.Second)
	deleteObject(t, c, cmd)
	waitCommandGone(t, c, ns, "long", 5*time.Second)
	p := staysPut(t, dev, id)
	if p.Pan < 15 || p.Pan > 20*5 {
		t.Errorf("the camera stopped at pan %v, want about 20 a second for the second or two before the delete", p.Pan)
	}
	waitKindEvents(t, c, ns, "CameraCommand", "long", "Stopped")
}

// TestCommandStopsAfterRestart: the operator stops during a 4 s move; the next one
// reads status.sentAt and sends the stop when due, and the camera stays put.
func TestCommandStopsAfterRestart(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	first := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, commands: fastCommands})
	const id = "34020000001320000705"
	dev := streamCamera(t, c, first, ns, "ipc", id, sim.Config{})

	createCommand(t, c, ns, "pan", "ipc", gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 25, Duration: &metav1.Duration{Duration: 4 * time.Second}}})
	testutil.Eventually(t, 10*time.Second, "the move answered", func() error {
		if cmd := getCommand(t, c, ns, "pan"); cmd.Status.AnsweredAt == nil {
			return fmt.Errorf("phase %q", cmd.Status.Phase)
		}
		return nil
	})
	addr := first.addr()
	first.stop(t)
	if !dev.PTZ(id).Moving() {
		t.Fatal("the camera stopped with the operator")
	}
	startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, listen: addr, commands: fastCommands})
	cmd := waitCommand(t, c, ns, "pan", gbv1.CommandSucceeded, gbv1.ReasonDone)
	p := staysPut(t, dev, id)
	moved := cmd.Status.StoppedAt.Sub(cmd.Status.SentAt.Time)
	if moved < 4*time.Second {
		t.Errorf("the stop went %v after the move, before its 4s", moved)
	}
	if p.Pan < 25*4*0.95 || p.Pan > 25*(moved.Seconds()+0.5) {
		t.Errorf("the camera is at pan %v after %v at 25 a second", p.Pan, moved)
	}
	t.Logf("stopped by the new operator %v after the move, at pan %.1f", moved, p.Pan)
}

// TestCommandTTL: a finished command is deleted ttlSecondsAfterFinished after its
// completion, and kept before.
func TestCommandTTL(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: fastCommands})
	const id = "34020000001320000706"
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{})

	ttl := int32(2)
	createCommand(t, c, ns, "brief", "ipc", gbv1.CameraCommandSpec{Keyframe: &gbv1.KeyframeCommand{}, TTLSecondsAfterFinished: &ttl})
	createCommand(t, c, ns, "kept", "ipc", gbv1.CameraCommandSpec{Keyframe: &gbv1.KeyframeCommand{}})
	brief := waitCommand(t, c, ns, "brief", gbv1.CommandSucceeded, gbv1.ReasonDone)
	waitCommand(t, c, ns, "kept", gbv1.CommandSucceeded, gbv1.ReasonDone)
	waitCommandGone(t, c, ns, "brief", 10*time.Second)
	if gone := time.Since(brief.Status.CompletionTime.Time); gone < time.Second {
		t.Errorf("deleted %v after completion, before its TTL of 2s", gone)
	}
	time.Sleep(time.Second)
	if kept := getCommand(t, c, ns, "kept"); *kept.Spec.TTLSecondsAfterFinished != 600 {
		t.Errorf("default TTL %d, want 600", *kept.Spec.TTLSecondsAfterFinished)
	}
}

// TestCommandFailures: each reason a command fails for, and that the device hears
// nothing of a command it should not get.
func TestCommandFailures(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	nsA, nsB := newNamespace(t, c), newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{nsA, nsB}, commands: fastCommands})
	const ipcID, nvrID, quietID, scriptedID = "34020000001320000707", "34020000001180000707", "34020000001320000708", "34020000001320000709"
	ipc := streamCamera(t, c, op, nsA, "ipc", ipcID, sim.Config{})
	streamCamera(t, c, op, nsA, "nvr", nvrID, sim.Config{Channels: 2})
	quiet := streamCamera(t, c, op, nsA, "quiet", quietID, sim.Config{})
	createSecret(t, c, nsA, "scripted-sip", map[string]string{"password": "pw"})
	createCamera(t, c, nsA, "scripted", scriptedID, "scripted-sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Catalog.Disabled = true
	})
	createCamera(t, c, nsA, "silent", "34020000001320000710", "scripted-sip")
	waitKnown(t, op, scriptedID)
	if code := register(t, newDevice(t, op, scriptedID, "pw")); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	waitCamera(t, c, nsA, "scripted", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
	waitCamera(t, c, nsA, "nvr", 20*time.Second, func(cam *gbv1.Camera) error {
		if len(cam.Status.Channels) != 2 {
			return fmt.Errorf("%d channels", len(cam.Status.Channels))
		}
		return nil
	})
	// Namespace B claims A's IPC in a Camera of its own, a second younger: Conflict.
	createSecret(t, c, nsB, "mine", map[string]string{"password": "guess"})
	time.Sleep(1100 * time.Millisecond)
	createCamera(t, c, nsB, "stolen", ipcID, "mine")
	waitCamera(t, c, nsB, "stolen", 10*time.Second, inState(gbv1.StateConflict, "", ""))
	if err := quiet.Close(); err != nil { // gone without unregistering: MESSAGEs go unanswered
		t.Fatal(err)
	}

	record := gbv1.CameraCommandSpec{Record: &gbv1.RecordCommand{Action: "Start"}}
	for _, tc := range []struct {
		name, ns, camera, channel string
		reason                    string
		waitsFirst                bool // Pending with the reason before failing
		result                    string
	}{
		{name: "no-camera", ns: nsA, camera: "missing", reason: gbv1.ReasonCameraNotFound, waitsFirst: true},
		{name: "not-registered", ns: nsA, camera: "silent", reason: gbv1.ReasonCameraNotRegistered, waitsFirst: true},
		{name: "not-in-catalog", ns: nsA, camera: "nvr", channel: "34020000001310999999", reason: gbv1.ReasonChannelNotFound},
		{name: "result-error", ns: nsA, camera: "ipc", channel: "34020000001310000001", reason: gbv1.ReasonDeviceRefused, result: "ERROR"},
		{name: "message-refused", ns: nsA, camera: "scripted", reason: gbv1.ReasonDeviceRefused},
		{name: "no-answer", ns: nsA, camera: "quiet", reason: gbv1.ReasonTimeout},
		{name: "other-namespace", ns: nsB, camera: "stolen", reason: gbv1.ReasonCameraConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := *record.DeepCopy()
			spec.ChannelID = tc.channel
			createCommand(t, c, tc.ns, tc.name, tc.camera, spec)
			if tc.waitsFirst {
				waitCommand(t, c, tc.ns, tc.name, gbv1.CommandPending, tc.reason)
			}
			cmd := waitCommand(t, c, tc.ns, tc.name, gbv1.CommandFailed, tc.reason)
			if cmd.Status.Result != tc.result || cmd.Status.CompletionTime == nil {
				t.Errorf("result %q completionTime %v, want result %q and a completion time", cmd.Status.Result, cmd.Status.CompletionTime, tc.result)
			}
			waitKindEvents(t, c, tc.ns, "CameraCommand", tc.name, tc.reason)
		})
	}
	// A's IPC heard only the command for a channel it lacks, never namespace B's.
	if got := ipc.LastCommand(); got != "refused: RecordCmd Record" || ipc.Recording() {
		t.Errorf("A's device: last command %q, recording %v", got, ipc.Recording())
	}
}

// TestCommandRateLimit: past a Camera's token bucket commands wait (TooManyCommands)
// and go later; none fails.
func TestCommandRateLimit(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	opts := fastCommands
	opts.CommandsPerSecond, opts.CommandBurst = 1, 1
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, commands: opts})
	const id = "34020000001320000711"
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{})

	names := []string{"k1", "k2", "k3"}
	for _, n := range names {
		createCommand(t, c, ns, n, "ipc", gbv1.CameraCommandSpec{Keyframe: &gbv1.KeyframeCommand{}})
	}
	var sent []time.Time
	for _, n := range names {
		sent = append(sent, waitCommand(t, c, ns, n, gbv1.CommandSucceeded, gbv1.ReasonDone).Status.SentAt.Time)
	}
	slices.SortFunc(sent, time.Time.Compare)
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < 900*time.Millisecond {
			t.Errorf("commands %d and %d went %v apart, at 1 a second", i, i+1, gap)
		}
	}
	throttled := 0
	for _, n := range names {
		if got, err := kindEventReasons(c, ns, "CameraCommand", n); err == nil && got[gbv1.ReasonTooManyCommands] > 0 {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("no command reported TooManyCommands while it waited for its token")
	}
}
