package command

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What a CameraCommand becomes on the wire (GB/T 28181-2016 A.2.3.1 and Annex A.3):
//
//	ptz (a move)         PTZCmd with the signed speeds; after duration, the stop
//	ptz.stop             PTZCmd A50F0100000000B5, the stop of every motion
//	preset Goto/Set/Delete  PTZCmd instruction 82/81/83 with the index
//	cruise Start / Stop  PTZCmd 88 with the group / the stop (a stop ends cruises)
//	scan Start / Stop    PTZCmd 89 with the group / the stop (a stop ends scans)
//	reboot               TeleBoot Boot
//	record Start / Stop  RecordCmd Record / StopRecord
//	keyframe             IFameCmd Send (spelled so by the standard)
//	resetAlarm           AlarmCmd ResetAlarm, with Info/AlarmMethod and AlarmType when set
//	homePosition         HomePosition Enabled, ResetTime, PresetIndex
//	dragZoom             DragZoomIn / DragZoomOut with the rectangle
//
// The API's signs are manscdp.PTZMove's: positive pan right, tilt up, zoom in.

// control is one command as it is sent.
type control struct {
	cmd manscdp.ControlCommand
	// text is what status.command shows: the element and its value.
	text string
	// move is how long a move lasts before its stop; 0 for every other command.
	move time.Duration
	// presetsChange: a preset set or deleted, which the PresetWatcher hears of.
	presetsChange bool
}

// errInvalidCommand marks a spec that makes no valid DeviceControl (the API's
// validation keeps such specs out; a spec written before it was tightened may not).
var errInvalidCommand = errors.New("not a valid device control")

// stopControl is the stop that ends a move: PTZMove{} stops every motion.
var stopControl = ptzControl(manscdp.PTZMove{})

// defaultMoveDuration is a move's duration when the spec has none (the API defaults it).
const defaultMoveDuration = time.Second

// defaultHomeResetTime is the home position's idle time when the spec has none.
const defaultHomeResetTime = time.Minute

func ptzControl(in manscdp.PTZInstruction) manscdp.ControlCommand {
	return manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(in)}
}

// controlOf is the DeviceControl of spec, checked by encoding it once.
func controlOf(spec *gbv1.CameraCommandSpec) (control, error) {
	c, err := buildControl(spec)
	if err != nil {
		return control{}, fmt.Errorf("%w: %v", errInvalidCommand, err)
	}
	if _, err := manscdp.EncodeDeviceControl(1, "0", c.cmd); err != nil {
		return control{}, fmt.Errorf("%w: %v", errInvalidCommand, err)
	}
	c.text = describe(c.cmd)
	return c, nil
}

// buildControl maps the spec's one command to its manscdp form.
func buildControl(spec *gbv1.CameraCommandSpec) (control, error) {
	switch {
	case spec.PTZ != nil:
		return ptzOf(spec.PTZ), nil
	case spec.Preset != nil:
		return presetOf(spec.Preset)
	case spec.Cruise != nil:
		return tourOf(spec.Cruise.Action, manscdp.CruiseStart{Group: int(spec.Cruise.Group)})
	case spec.Scan != nil:
		return tourOf(spec.Scan.Action, manscdp.ScanStart{Group: int(spec.Scan.Group)})
	case spec.Reboot != nil:
		return control{cmd: manscdp.TeleBoot{}}, nil
	case spec.Record != nil:
		return recordOf(spec.Record.Action)
	case spec.Keyframe != nil:
		return control{cmd: manscdp.ForceIFrame{}}, nil
	case spec.ResetAlarm != nil:
		return resetAlarmOf(spec.ResetAlarm)
	case spec.HomePosition != nil:
		return homeOf(spec.HomePosition), nil
	case spec.DragZoom != nil:
		return dragZoomOf(spec.DragZoom), nil
	}
	return control{}, errors.New("the spec holds no command")
}

func ptzOf(p *gbv1.PTZCommand) control {
	if p.Stop {
		return control{cmd: stopControl}
	}
	d := defaultMoveDuration
	if p.Duration != nil && p.Duration.Duration > 0 {
		d = p.Duration.Duration
	}
	return control{cmd: ptzControl(manscdp.PTZMove{Pan: int(p.Pan), Tilt: int(p.Tilt), Zoom: int(p.Zoom)}), move: d}
}

func presetOf(p *gbv1.PresetCommand) (control, error) {
	index := int(p.Index)
	switch p.Action {
	case "Goto":
		return control{cmd: ptzControl(manscdp.PresetGoto{Index: index})}, nil
	case "Set":
		return control{cmd: ptzControl(manscdp.PresetSet{Index: index}), presetsChange: true}, nil
	case "Delete":
		return control{cmd: ptzControl(manscdp.PresetDelete{Index: index}), presetsChange: true}, nil
	}
	return control{}, fmt.Errorf("preset action %q", p.Action)
}

// tourOf starts a cruise or scan, or stops it with the stop of every motion.
func tourOf(action string, start manscdp.PTZInstruction) (control, error) {
	switch action {
	case "Start":
		return control{cmd: ptzControl(start)}, nil
	case "Stop":
		return control{cmd: stopControl}, nil
	}
	return control{}, fmt.Errorf("action %q", action)
}

func recordOf(action string) (control, error) {
	switch action {
	case "Start":
		return control{cmd: manscdp.RecordStart}, nil
	case "Stop":
		return control{cmd: manscdp.RecordStop}, nil
	}
	return control{}, fmt.Errorf("record action %q", action)
}

func resetAlarmOf(r *gbv1.ResetAlarmCommand) (control, error) {
	alarmType := 0
	if r.Type != "" {
		n, err := strconv.Atoi(r.Type)
		if err != nil || n < 0 {
			return control{}, fmt.Errorf("alarm type %q is not a number", r.Type)
		}
		alarmType = n
	}
	return control{cmd: manscdp.ResetAlarm{Method: int(r.Method), Type: alarmType}}, nil
}

func homeOf(h *gbv1.HomePositionCommand) control {
	reset := defaultHomeResetTime
	if h.ResetTime != nil {
		reset = h.ResetTime.Duration
	}
	return control{cmd: manscdp.HomePosition{Enabled: h.Enabled, ResetTime: int(reset / time.Second), PresetIndex: int(h.PresetIndex)}}
}

func dragZoomOf(z *gbv1.DragZoomCommand) control {
	return control{cmd: manscdp.DragZoom{
		Out: z.Direction == "Out", Length: int(z.Length), Width: int(z.Width),
		MidPointX: int(z.MidPointX), MidPointY: int(z.MidPointY), LengthX: int(z.LengthX), LengthY: int(z.LengthY),
	}}
}

// describe is the element a command is sent as and its value, as status.command shows it.
func describe(cmd manscdp.ControlCommand) string {
	switch c := cmd.(type) {
	case manscdp.PTZControl:
		hex, err := c.Cmd.Encode()
		if err != nil {
			return "PTZCmd (invalid)"
		}
		return "PTZCmd " + hex
	case manscdp.TeleBoot:
		return "TeleBoot Boot"
	case manscdp.RecordCmd:
		return "RecordCmd " + string(c)
	case manscdp.ResetAlarm:
		if c.Method == 0 && c.Type == 0 {
			return "AlarmCmd ResetAlarm"
		}
		return fmt.Sprintf("AlarmCmd ResetAlarm AlarmMethod %d AlarmType %d", c.Method, c.Type)
	case manscdp.ForceIFrame:
		return "IFameCmd Send"
	case manscdp.HomePosition:
		if !c.Enabled {
			return "HomePosition Enabled 0"
		}
		return fmt.Sprintf("HomePosition Enabled 1 ResetTime %d PresetIndex %d", c.ResetTime, c.PresetIndex)
	case manscdp.DragZoom:
		name := "DragZoomIn"
		if c.Out {
			name = "DragZoomOut"
		}
		return fmt.Sprintf("%s Length %d Width %d MidPointX %d MidPointY %d LengthX %d LengthY %d",
			name, c.Length, c.Width, c.MidPointX, c.MidPointY, c.LengthX, c.LengthY)
	}
	return fmt.Sprintf("%T", cmd)
}

// answerResult is status.result for a command the device accepted: its Result where
// it sends one, else Accepted (the MESSAGE's 200 is the whole answer).
func answerResult(cmd manscdp.ControlCommand) string {
	if manscdp.AnsweredWithResult(cmd) {
		return "OK"
	}
	return resultAccepted
}

// resultAccepted is status.result of a command answered by the MESSAGE's 200 alone.
const resultAccepted = "Accepted"
