package manscdp

import (
	"fmt"
	"strings"
)

// Device control (GB/T 28181-2016 A.2.3.1): a platform's
//
//	<Control><CmdType>DeviceControl</CmdType><SN/><DeviceID>channel</DeviceID>
//	<PTZCmd>A50F0101200000D6</PTZCmd><Info><ControlPriority>5</ControlPriority></Info>
//	</Control>
//
// carries exactly one command. A device answers RecordCmd, GuardCmd, AlarmCmd and
// HomePosition with a Result (EncodeResultResponse); PTZCmd, TeleBoot, IFameCmd and
// DragZoom get no answer beyond the MESSAGE's 200.

// ControlCommand is the one command of a DeviceControl body: PTZControl, TeleBoot,
// RecordCmd, GuardCmd, ResetAlarm, ForceIFrame, HomePosition or DragZoom.
type ControlCommand interface {
	// writeControl writes the command's elements, or refuses an invalid command.
	writeControl(b *strings.Builder) error
}

// PTZControl moves the camera. Priority is the <Info><ControlPriority> (1 highest to
// 5); 0 is written as 5, the lowest, as the widely used platforms send.
type PTZControl struct {
	Cmd      PTZCmd
	Priority int
}

// TeleBoot reboots the device (<TeleBoot>Boot</TeleBoot>).
type TeleBoot struct{}

// RecordCmd starts or stops manual recording.
type RecordCmd string

// Values of RecordCmd.
const (
	RecordStart RecordCmd = "Record"
	RecordStop  RecordCmd = "StopRecord"
)

// GuardCmd arms or disarms the device's alarm inputs: many devices report no alarm
// until armed.
type GuardCmd string

// Values of GuardCmd.
const (
	GuardSet   GuardCmd = "SetGuard"
	GuardReset GuardCmd = "ResetGuard"
)

// ResetAlarm clears an alarm (<AlarmCmd>ResetAlarm</AlarmCmd>), optionally only those
// of one AlarmMethod and AlarmType (0 for any).
type ResetAlarm struct {
	Method int
	Type   int
}

// ForceIFrame asks for a key frame now (<IFameCmd>Send</IFameCmd>, spelled so).
type ForceIFrame struct{}

// HomePosition sets the home position: when Enabled, the camera returns to preset
// PresetIndex (0-255) after ResetTime seconds idle.
type HomePosition struct {
	Enabled     bool
	ResetTime   int
	PresetIndex int
}

// DragZoom zooms in on (or, with Out, out of) a rectangle drawn on the picture: the
// picture is Length by Width pixels, the rectangle's centre MidPointX, MidPointY and its
// size LengthX by LengthY.
type DragZoom struct {
	Out                  bool
	Length, Width        int
	MidPointX, MidPointY int
	LengthX, LengthY     int
}

// AnsweredWithResult reports whether a device answers cmd with a Response carrying a
// Result, beyond the MESSAGE's 200: RecordCmd, GuardCmd, AlarmCmd and HomePosition.
func AnsweredWithResult(cmd ControlCommand) bool {
	switch cmd.(type) {
	case RecordCmd, GuardCmd, ResetAlarm, HomePosition:
		return true
	}
	return false
}

// controlPriorityDefault is the ControlPriority written for PTZ: the lowest, so that
// an operator at a higher-priority console wins.
const controlPriorityDefault = 5

// EncodeDeviceControl writes a platform's DeviceControl with cmd for deviceID (a
// channel, or the device).
func EncodeDeviceControl(sn int, deviceID string, cmd ControlCommand) ([]byte, error) {
	if err := needID("DeviceControl", deviceID); err != nil {
		return nil, err
	}
	if cmd == nil {
		return nil, fmt.Errorf("%w: DeviceControl without a command", ErrInvalid)
	}
	var b strings.Builder
	header(&b, "Control", "DeviceControl", sn, deviceID)
	if err := cmd.writeControl(&b); err != nil {
		return nil, err
	}
	closeTag(&b, "Control")
	return platformBody(&b)
}

func (p PTZControl) writeControl(b *strings.Builder) error {
	hexCmd, err := p.Cmd.Encode()
	if err != nil {
		return err
	}
	priority := p.Priority
	if priority == 0 {
		priority = controlPriorityDefault
	}
	if err := inRange("ControlPriority", priority, 1, 5); err != nil {
		return err
	}
	elem(b, "PTZCmd", hexCmd)
	open(b, "Info")
	elemInt(b, "ControlPriority", priority)
	closeTag(b, "Info")
	return nil
}

func (TeleBoot) writeControl(b *strings.Builder) error {
	elem(b, "TeleBoot", "Boot")
	return nil
}

func (r RecordCmd) writeControl(b *strings.Builder) error {
	if err := oneOf("RecordCmd", string(r), string(RecordStart), string(RecordStop)); err != nil {
		return err
	}
	elem(b, "RecordCmd", string(r))
	return nil
}

func (g GuardCmd) writeControl(b *strings.Builder) error {
	if err := oneOf("GuardCmd", string(g), string(GuardSet), string(GuardReset)); err != nil {
		return err
	}
	elem(b, "GuardCmd", string(g))
	return nil
}

func (r ResetAlarm) writeControl(b *strings.Builder) error {
	if err := inRange("AlarmMethod", r.Method, 0, AlarmMethodOther); err != nil {
		return err
	}
	if r.Type < 0 {
		return fmt.Errorf("%w: negative AlarmType %d", ErrInvalid, r.Type)
	}
	elem(b, "AlarmCmd", "ResetAlarm")
	if r.Method > 0 || r.Type > 0 {
		open(b, "Info")
		positive(b, "AlarmMethod", r.Method)
		positive(b, "AlarmType", r.Type)
		closeTag(b, "Info")
	}
	return nil
}

func (ForceIFrame) writeControl(b *strings.Builder) error {
	elem(b, "IFameCmd", "Send")
	return nil
}

func (h HomePosition) writeControl(b *strings.Builder) error {
	if err := inRange("PresetIndex", h.PresetIndex, 0, 255); err != nil {
		return err
	}
	if h.ResetTime < 0 {
		return fmt.Errorf("%w: negative ResetTime %d", ErrInvalid, h.ResetTime)
	}
	open(b, "HomePosition")
	if h.Enabled {
		elemInt(b, "Enabled", 1)
		elemInt(b, "ResetTime", h.ResetTime)
		elemInt(b, "PresetIndex", h.PresetIndex)
	} else {
		elemInt(b, "Enabled", 0)
	}
	closeTag(b, "HomePosition")
	return nil
}

func (d DragZoom) writeControl(b *strings.Builder) error {
	if d.Length <= 0 || d.Width <= 0 {
		return fmt.Errorf("%w: drag zoom on a %dx%d picture", ErrInvalid, d.Length, d.Width)
	}
	for _, v := range []int{d.MidPointX, d.MidPointY, d.LengthX, d.LengthY} {
		if v < 0 {
			return fmt.Errorf("%w: negative drag zoom coordinate %d", ErrInvalid, v)
		}
	}
	name := "DragZoomIn"
	if d.Out {
		name = "DragZoomOut"
	}
	open(b, name)
	elemInt(b, "Length", d.Length)
	elemInt(b, "Width", d.Width)
	elemInt(b, "MidPointX", d.MidPointX)
	elemInt(b, "MidPointY", d.MidPointY)
	elemInt(b, "LengthX", d.LengthX)
	elemInt(b, "LengthY", d.LengthY)
	closeTag(b, name)
	return nil
}

// decodeDeviceControl reads the first command element of a DeviceControl body. A
// command whose value cannot be understood (a malformed PTZCmd, an unknown RecordCmd)
// makes the body malformed: the device cannot act on it.
func decodeDeviceControl(root *element, m *Message) error {
	for c := root.first; c != nil; c = c.next {
		cmd, err := controlFrom(root, c)
		if err != nil {
			return fmt.Errorf("%w: <%s>: %v", ErrMalformed, c.name, err)
		}
		if cmd != nil {
			m.Control = cmd
			return nil
		}
	}
	return nil
}

// controlFrom returns the command c carries, nil when c is not a command.
func controlFrom(root, c *element) (ControlCommand, error) {
	value := strings.TrimSpace(string(c.text))
	switch strings.ToLower(c.name) {
	case "ptzcmd":
		cmd, err := ParsePTZCmd(value)
		if err != nil {
			return nil, err
		}
		p := PTZControl{Cmd: cmd}
		if info := root.child("Info"); info != nil {
			p.Priority = info.lenientInt("ControlPriority")
		}
		return p, nil
	case "teleboot":
		return TeleBoot{}, nil
	case "recordcmd":
		for _, r := range []RecordCmd{RecordStart, RecordStop} {
			if strings.EqualFold(value, string(r)) {
				return r, nil
			}
		}
		return nil, fmt.Errorf("unknown value %q", truncate(value))
	case "guardcmd":
		for _, g := range []GuardCmd{GuardSet, GuardReset} {
			if strings.EqualFold(value, string(g)) {
				return g, nil
			}
		}
		return nil, fmt.Errorf("unknown value %q", truncate(value))
	case "alarmcmd":
		r := ResetAlarm{}
		if info := root.child("Info"); info != nil {
			r.Method, r.Type = info.lenientInt("AlarmMethod"), info.lenientInt("AlarmType")
		}
		return r, nil
	case "ifamecmd", "iframecmd":
		return ForceIFrame{}, nil
	case "homeposition":
		return HomePosition{
			Enabled:     c.lenientInt("Enabled") == 1,
			ResetTime:   c.lenientInt("ResetTime"),
			PresetIndex: c.lenientInt("PresetIndex"),
		}, nil
	case "dragzoomin", "dragzoomout":
		return DragZoom{
			Out:       strings.EqualFold(c.name, "DragZoomOut"),
			Length:    c.lenientInt("Length"),
			Width:     c.lenientInt("Width"),
			MidPointX: c.lenientInt("MidPointX"),
			MidPointY: c.lenientInt("MidPointY"),
			LengthX:   c.lenientInt("LengthX"),
			LengthY:   c.lenientInt("LengthY"),
		}, nil
	}
	return nil, nil
}
