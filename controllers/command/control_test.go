package command

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestControlOf: every kind of command becomes the DeviceControl the standard gives it,
// and status.command shows what goes on the wire.
func TestControlOf(t *testing.T) {
	seconds := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	tests := []struct {
		name      string
		spec      gbv1.CameraCommandSpec
		text      string
		move      time.Duration
		presets   bool
		wantCmd   manscdp.ControlCommand
		wantError bool
	}{
		{name: "pan right at 32 for 2s", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 32, Duration: seconds(2 * time.Second)}},
			text: "PTZCmd A50F0101200000D6", move: 2 * time.Second, wantCmd: ptzControl(manscdp.PTZMove{Pan: 32})},
		{name: "up-left at 128, default duration", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: -128, Tilt: 128}},
			text: "PTZCmd A50F010A808000BF", move: time.Second},
		{name: "zoom in at 10", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Zoom: 10, Duration: seconds(time.Second)}},
			text: "PTZCmd A50F01100000A065", move: time.Second},
		{name: "down and zoom out", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Tilt: -35, Zoom: -1, Duration: seconds(time.Second)}},
			text: "PTZCmd A50F01240023100C", move: time.Second, wantCmd: ptzControl(manscdp.PTZMove{Tilt: -35, Zoom: -1})},
		// The examples of docs/commands.md.
		{name: "docs: left at 40", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: -40, Duration: seconds(2 * time.Second)}},
			text: "PTZCmd A50F0102280000DF", move: 2 * time.Second},
		{name: "docs: right, down and zoom in", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 32, Tilt: -16, Zoom: 4, Duration: seconds(2 * time.Second)}},
			text: "PTZCmd A50F01152010403A", move: 2 * time.Second},
		{name: "stop", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Stop: true}}, text: "PTZCmd A50F0100000000B5", wantCmd: stopControl},
		{name: "preset goto 1", spec: gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Goto", Index: 1}}, text: "PTZCmd A50F018200010038"},
		{name: "preset set 1", spec: gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Set", Index: 1}}, text: "PTZCmd A50F018100010037", presets: true},
		{name: "preset delete 255", spec: gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Delete", Index: 255}}, text: "PTZCmd A50F018300FF0037", presets: true},
		{name: "cruise 1 start", spec: gbv1.CameraCommandSpec{Cruise: &gbv1.CruiseCommand{Action: "Start", Group: 1}}, text: "PTZCmd A50F01880100003E"},
		{name: "cruise stop is the stop", spec: gbv1.CameraCommandSpec{Cruise: &gbv1.CruiseCommand{Action: "Stop", Group: 1}}, text: "PTZCmd A50F0100000000B5"},
		{name: "scan 1 start", spec: gbv1.CameraCommandSpec{Scan: &gbv1.ScanCommand{Action: "Start", Group: 1}}, text: "PTZCmd A50F01890100003F"},
		{name: "scan stop is the stop", spec: gbv1.CameraCommandSpec{Scan: &gbv1.ScanCommand{Action: "Stop", Group: 2}}, text: "PTZCmd A50F0100000000B5"},
		{name: "reboot", spec: gbv1.CameraCommandSpec{Reboot: &gbv1.RebootCommand{}}, text: "TeleBoot Boot", wantCmd: manscdp.TeleBoot{}},
		{name: "record start", spec: gbv1.CameraCommandSpec{Record: &gbv1.RecordCommand{Action: "Start"}}, text: "RecordCmd Record", wantCmd: manscdp.RecordStart},
		{name: "record stop", spec: gbv1.CameraCommandSpec{Record: &gbv1.RecordCommand{Action: "Stop"}}, text: "RecordCmd StopRecord", wantCmd: manscdp.RecordStop},
		{name: "keyframe", spec: gbv1.CameraCommandSpec{Keyframe: &gbv1.KeyframeCommand{}}, text: "IFameCmd Send", wantCmd: manscdp.ForceIFrame{}},
		{name: "reset every alarm", spec: gbv1.CameraCommandSpec{ResetAlarm: &gbv1.ResetAlarmCommand{}}, text: "AlarmCmd ResetAlarm", wantCmd: manscdp.ResetAlarm{}},
		{name: "reset motion alarms", spec: gbv1.CameraCommandSpec{ResetAlarm: &gbv1.ResetAlarmCommand{Method: 5, Type: "2"}},
			text: "AlarmCmd ResetAlarm AlarmMethod 5 AlarmType 2", wantCmd: manscdp.ResetAlarm{Method: 5, Type: 2}},
		{name: "home position", spec: gbv1.CameraCommandSpec{HomePosition: &gbv1.HomePositionCommand{Enabled: true, PresetIndex: 3, ResetTime: seconds(90 * time.Second)}},
			text: "HomePosition Enabled 1 ResetTime 90 PresetIndex 3", wantCmd: manscdp.HomePosition{Enabled: true, ResetTime: 90, PresetIndex: 3}},
		{name: "home position, default reset time", spec: gbv1.CameraCommandSpec{HomePosition: &gbv1.HomePositionCommand{Enabled: true, PresetIndex: 1}},
			text: "HomePosition Enabled 1 ResetTime 60 PresetIndex 1"},
		{name: "home position off", spec: gbv1.CameraCommandSpec{HomePosition: &gbv1.HomePositionCommand{}}, text: "HomePosition Enabled 0"},
		{name: "drag zoom in", spec: gbv1.CameraCommandSpec{DragZoom: &gbv1.DragZoomCommand{Direction: "In", Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}},
			text:    "DragZoomIn Length 1920 Width 1080 MidPointX 960 MidPointY 540 LengthX 200 LengthY 100",
			wantCmd: manscdp.DragZoom{Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}},
		{name: "drag zoom out", spec: gbv1.CameraCommandSpec{DragZoom: &gbv1.DragZoomCommand{Direction: "Out", Length: 640, Width: 480, LengthX: 1, LengthY: 1}},
			text: "DragZoomOut Length 640 Width 480 MidPointX 0 MidPointY 0 LengthX 1 LengthY 1"},
		{name: "no command", spec: gbv1.CameraCommandSpec{}, wantError: true},
		{name: "pan beyond 255", spec: gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 256}}, wantError: true},
		{name: "alarm type not a number", spec: gbv1.CameraCommandSpec{ResetAlarm: &gbv1.ResetAlarmCommand{Type: "motion"}}, wantError: true},
		{name: "preset action unknown", spec: gbv1.CameraCommandSpec{Preset: &gbv1.PresetCommand{Action: "Rename", Index: 1}}, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := controlOf(&tt.spec)
			if tt.wantError {
				if !errors.Is(err, errInvalidCommand) {
					t.Fatalf("controlOf = %+v, %v; want errInvalidCommand", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.text != tt.text || got.move != tt.move || got.presetsChange != tt.presets {
				t.Errorf("controlOf = text %q move %v presets %v; want %q %v %v", got.text, got.move, got.presetsChange, tt.text, tt.move, tt.presets)
			}
			if tt.wantCmd != nil && got.cmd != tt.wantCmd {
				t.Errorf("cmd = %#v, want %#v", got.cmd, tt.wantCmd)
			}
		})
	}
}

// TestAnswerResult: the Result is the device's for commands answered with one, Accepted
// for those answered by the MESSAGE's 200 alone.
func TestAnswerResult(t *testing.T) {
	for _, tc := range []struct {
		cmd  manscdp.ControlCommand
		want string
	}{
		{stopControl, "Accepted"}, {manscdp.TeleBoot{}, "Accepted"}, {manscdp.ForceIFrame{}, "Accepted"}, {manscdp.DragZoom{}, "Accepted"},
		{manscdp.RecordStart, "OK"}, {manscdp.ResetAlarm{}, "OK"}, {manscdp.HomePosition{}, "OK"},
	} {
		if got := answerResult(tc.cmd); got != tc.want {
			t.Errorf("answerResult(%T) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
