package controllers

import (
	"fmt"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// channelPresets checks the presets of each named channel: their indexes, named.
func channelPresets(want map[string][]int32) func(*gbv1.Camera) error {
	return func(cam *gbv1.Camera) error {
		for id, indexes := range want {
			var ch *gbv1.Channel
			for i := range cam.Status.Channels {
				if cam.Status.Channels[i].ID == id {
					ch = &cam.Status.Channels[i]
				}
			}
			if ch == nil {
				return fmt.Errorf("no channel %s in %d", id, len(cam.Status.Channels))
			}
			if len(ch.Presets) != len(indexes) {
				return fmt.Errorf("channel %s presets %+v, want %v", id, ch.Presets, indexes)
			}
			for i, p := range ch.Presets {
				if p.Index != indexes[i] || p.Name == "" {
					return fmt.Errorf("channel %s presets %+v, want %v, named", id, ch.Presets, indexes)
				}
			}
		}
		return nil
	}
}

// TestPresetsInStatus: an NVR's channels show their PTZ presets: those set before a
// registration once it registers, and one set later once the command controller tells
// PresetsChanged; without that, nothing is asked until the next registration.
func TestPresetsInStatus(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})
	const id = "34020000001180000431"
	dev := deviceCamera(t, c, op, ns, "nvr", id, sim.Config{Channels: 2})
	cam := registerDevice(t, c, dev, ns, "nvr")
	ch0, ch1 := sim.ChannelID(id, 2, 0), sim.ChannelID(id, 2, 1)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch0: nil, ch1: nil}))
	setPreset := func(ch string, index int) {
		t.Helper()
		if err := op.srv.Control(ctxT(t), ownerRef(cam), ch, manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PresetSet{Index: index})}); err != nil {
			t.Fatal(err)
		}
	}

	setPreset(ch0, 4)
	setPreset(ch0, 2)
	op.cameras.PresetsChanged(id)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch0: {2, 4}, ch1: nil}))

	// Not told: the status keeps what it had until the device registers again.
	setPreset(ch1, 9)
	time.Sleep(2 * time.Second)
	if err := channelPresets(map[string][]int32{ch1: nil})(getCamera(t, c, ns, "nvr")); err != nil {
		t.Errorf("presets asked without a registration or PresetsChanged: %v", err)
	}
	reregister(t, dev)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch0: {2, 4}, ch1: {9}}))
}

// TestCommandPresetsInStatus: the operator as Setup wires it: a preset a CameraCommand
// sets appears in the Camera's status, and goes when one deletes it. The NVR, as many
// real devices, stores each control half a second after its 200, so the PresetQuery
// made at once finds the presets as they were: the one made presetsSettle later shows
// the change.
func TestCommandPresetsInStatus(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts, commands: fastCommands})
	const id = "34020000001180000432"
	dev := deviceCamera(t, c, op, ns, "nvr", id, sim.Config{Channels: 1, Control: sim.ControlConfig{ApplyDelay: 500 * time.Millisecond}})
	registerDevice(t, c, dev, ns, "nvr")
	ch := sim.ChannelID(id, 1, 0)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch: nil}))

	createCommand(t, c, ns, "store", "nvr", gbv1.CameraCommandSpec{ChannelID: ch, Preset: &gbv1.PresetCommand{Action: "Set", Index: 5}})
	waitCommand(t, c, ns, "store", gbv1.CommandSucceeded, gbv1.ReasonDone)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch: {5}}))

	createCommand(t, c, ns, "forget", "nvr", gbv1.CameraCommandSpec{ChannelID: ch, Preset: &gbv1.PresetCommand{Action: "Delete", Index: 5}})
	waitCommand(t, c, ns, "forget", gbv1.CommandSucceeded, gbv1.ReasonDone)
	waitCamera(t, c, ns, "nvr", 15*time.Second, channelPresets(map[string][]int32{ch: nil}))
}
