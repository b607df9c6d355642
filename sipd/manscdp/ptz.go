package manscdp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// A PTZCmd (GB/T 28181-2016 Annex A.3) is 8 bytes written as 16 upper-case hex digits:
//
//	byte 1  A5, the frame header
//	byte 2  version (high nibble, 0 for this edition) and check (low nibble) =
//	        (byte 1 high nibble + byte 1 low nibble + byte 2 high nibble) % 16
//	byte 3  address, low 8 bits
//	byte 4  instruction
//	byte 5  data 1 (pan speed, focus speed, cruise or scan group, aux switch)
//	byte 6  data 2 (tilt speed, iris speed, preset index, low 8 bits of a 12-bit value)
//	byte 7  data 3 (high nibble: zoom speed, high 4 bits of a 12-bit value) and
//	        address, high 4 bits (low nibble)
//	byte 8  checksum = (bytes 1 to 7) % 256
//
// Byte 2 is therefore always 0F: version 0, check (A+5+0)%16 = F. That is what the
// widely used platforms send as a constant ("A50F01..." in WVP-GB28181-pro and
// Monibuca, with address 1); it is computed here, not copied. The address is 1 by
// default, like theirs: it is meaningless to an IP camera, but some firmware matches
// whole prefixes such as "A50F0181" and ignores commands for any other address.
//
// Instructions (byte 4):
//
//	00-3F  pan/tilt/zoom: bit 0 right, 1 left, 2 down, 3 up, 4 zoom in (tele),
//	       5 zoom out (wide); 00 stops every motion, cruises and scans included
//	40-4F  focus/iris: bit 0 focus far, 1 focus near, 2 iris open, 3 iris close
//	81 82 83  set, call, delete preset (byte 6: index 1-255)
//	84 85  add, remove a cruise point (byte 5: group, byte 6: preset; 85 with preset 0
//	       removes the whole cruise)
//	86 87  cruise speed, cruise dwell time in seconds (12 bits: byte 6 low, byte 7 high)
//	88     start cruise (byte 5: group)
//	89     scan (byte 5: group, byte 6: 0 start, 1 set left edge, 2 set right edge)
//	8A     scan speed (12 bits)
//	8C 8D  auxiliary switch on, off (byte 5: switch number, 1 is the wiper)
//
// A divergence seen in the field: WVP-GB28181-pro's older cmdString writes the zoom
// speed into byte 7 but leaves it out of the checksum when it is below 16, so its
// zoom commands fail the checksum; ParsePTZCmd rejects them, as a device built to the
// standard would.

// DefaultPTZAddress is the address NewPTZCmd writes.
const DefaultPTZAddress = 1

// ptzVersion is the version nibble of byte 2 for GB/T 28181-2016.
const ptzVersion = 0

// Errors of ParsePTZCmd.
var (
	// ErrPTZCmd: not a well-formed command (length, hex, header, check nibble,
	// checksum, contradictory bits, out-of-range data).
	ErrPTZCmd = errors.New("manscdp: malformed PTZCmd")
	// ErrPTZUnknown: a well-formed command whose instruction this package does not know.
	ErrPTZUnknown = errors.New("manscdp: unknown PTZ instruction")
)

// PTZCmd is one front-end command: an instruction for the device at Address.
type PTZCmd struct {
	// Address is 0-4095; NewPTZCmd sets DefaultPTZAddress.
	Address     int
	Instruction PTZInstruction
}

// NewPTZCmd returns the command for in at DefaultPTZAddress.
func NewPTZCmd(in PTZInstruction) PTZCmd {
	return PTZCmd{Address: DefaultPTZAddress, Instruction: in}
}

// PTZInstruction is one of PTZMove, PTZFocusIris, PresetSet, PresetGoto, PresetDelete,
// CruiseAdd, CruiseDelete, CruiseSpeed, CruiseDwell, CruiseStart, ScanStart,
// ScanSetLeft, ScanSetRight, ScanSpeed and AuxSwitch.
type PTZInstruction interface {
	// ptzBytes returns bytes 4, 5 and 6 and the data nibble of byte 7.
	ptzBytes() (code, data1, data2, data3 byte, err error)
}

// PTZMove moves the camera: signed speeds, 0 leaving an axis still. Positive Pan is
// right, positive Tilt up, positive Zoom in (tele). |Pan| and |Tilt| are at most 255,
// |Zoom| at most 15. PTZMove{} stops every motion, cruises and scans included.
type PTZMove struct {
	Pan, Tilt, Zoom int
}

// IsStop reports whether m is the stop command.
func (m PTZMove) IsStop() bool { return m == PTZMove{} }

// PTZFocusIris drives the lens: positive Focus is far, negative near; positive Iris
// opens, negative closes; magnitudes (speeds) at most 255. PTZFocusIris{} stops the
// lens.
type PTZFocusIris struct {
	Focus, Iris int
}

// PresetSet stores the current position as preset Index (1-255).
type PresetSet struct{ Index int }

// PresetGoto moves to preset Index (1-255).
type PresetGoto struct{ Index int }

// PresetDelete deletes preset Index (1-255).
type PresetDelete struct{ Index int }

// CruiseAdd adds preset Preset (1-255) to cruise Group (0-255).
type CruiseAdd struct{ Group, Preset int }

// CruiseDelete removes preset Preset from cruise Group; Preset 0 removes the cruise.
type CruiseDelete struct{ Group, Preset int }

// CruiseSpeed sets cruise Group's speed (1-4095).
type CruiseSpeed struct{ Group, Speed int }

// CruiseDwell sets how long cruise Group stays at each preset, in seconds (1-4095).
type CruiseDwell struct{ Group, Seconds int }

// CruiseStart starts cruise Group. PTZMove{} stops it.
type CruiseStart struct{ Group int }

// ScanStart starts automatic scan Group (0-255). PTZMove{} stops it.
type ScanStart struct{ Group int }

// ScanSetLeft makes the current position the left edge of scan Group.
type ScanSetLeft struct{ Group int }

// ScanSetRight makes the current position the right edge of scan Group.
type ScanSetRight struct{ Group int }

// ScanSpeed sets scan Group's speed (1-4095).
type ScanSpeed struct{ Group, Speed int }

// AuxSwitch turns auxiliary switch Number (0-255; 1 is the wiper) on or off.
type AuxSwitch struct {
	Number int
	On     bool
}

// PTZ instruction codes (byte 4).
const (
	ptzFocusIris    = 0x40
	ptzPresetSet    = 0x81
	ptzPresetGoto   = 0x82
	ptzPresetDelete = 0x83
	ptzCruiseAdd    = 0x84
	ptzCruiseDelete = 0x85
	ptzCruiseSpeed  = 0x86
	ptzCruiseDwell  = 0x87
	ptzCruiseStart  = 0x88
	ptzScan         = 0x89
	ptzScanSpeed    = 0x8A
	ptzAuxOn        = 0x8C
	ptzAuxOff       = 0x8D
)

// Encode writes c as 16 upper-case hex digits. An instruction out of its range is an
// error wrapping ErrInvalid.
func (c PTZCmd) Encode() (string, error) {
	if c.Instruction == nil {
		return "", fmt.Errorf("%w: PTZCmd without an instruction", ErrInvalid)
	}
	if err := inRange("PTZ address", c.Address, 0, 0xFFF); err != nil {
		return "", err
	}
	code, d1, d2, d3, err := c.Instruction.ptzBytes()
	if err != nil {
		return "", err
	}
	b := [8]byte{0xA5, ptzVersion<<4 | ptzCheck(0xA5, ptzVersion), byte(c.Address), code, d1, d2, d3<<4 | byte(c.Address>>8)&0x0F}
	b[7] = ptzSum(b[:7])
	return strings.ToUpper(hex.EncodeToString(b[:])), nil
}

// ptzCheck is the check nibble of byte 2.
func ptzCheck(header, version byte) byte {
	return (header>>4 + header&0x0F + version) & 0x0F
}

func ptzSum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// ParsePTZCmd reads a PTZCmd as a device receives it (hex digits of either case,
// surrounding space ignored). A direction bit with a speed of 0 reads as the slowest
// speed, 1: the device is asked to move, not to stop.
func ParsePTZCmd(s string) (PTZCmd, error) {
	s = strings.TrimSpace(s)
	if len(s) != 16 {
		return PTZCmd{}, fmt.Errorf("%w: %d hex digits, want 16", ErrPTZCmd, len(s))
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return PTZCmd{}, fmt.Errorf("%w: %q is not hex", ErrPTZCmd, s)
	}
	if b[0] != 0xA5 {
		return PTZCmd{}, fmt.Errorf("%w: header %02X, want A5", ErrPTZCmd, b[0])
	}
	if b[1]&0x0F != ptzCheck(b[0], b[1]>>4) {
		return PTZCmd{}, fmt.Errorf("%w: byte 2 %02X has check nibble %X, want %X", ErrPTZCmd, b[1], b[1]&0x0F, ptzCheck(b[0], b[1]>>4))
	}
	if sum := ptzSum(b[:7]); b[7] != sum {
		return PTZCmd{}, fmt.Errorf("%w: checksum %02X, want %02X", ErrPTZCmd, b[7], sum)
	}
	in, err := decodePTZInstruction(b[3], b[4], b[5], b[6]>>4)
	if err != nil {
		return PTZCmd{}, err
	}
	return PTZCmd{Address: int(b[2]) | int(b[6]&0x0F)<<8, Instruction: in}, nil
}

func decodePTZInstruction(code, d1, d2, d3 byte) (PTZInstruction, error) {
	switch {
	case code&0xC0 == 0x00:
		if code&0x03 == 0x03 || code&0x0C == 0x0C || code&0x30 == 0x30 {
			return nil, fmt.Errorf("%w: instruction %02X moves both ways on one axis", ErrPTZCmd, code)
		}
		return PTZMove{
			Pan:  axis(code&0x01 != 0, code&0x02 != 0, d1),
			Tilt: axis(code&0x08 != 0, code&0x04 != 0, d2),
			Zoom: axis(code&0x10 != 0, code&0x20 != 0, d3),
		}, nil
	case code&0xF0 == ptzFocusIris:
		if code&0x03 == 0x03 || code&0x0C == 0x0C {
			return nil, fmt.Errorf("%w: instruction %02X drives the lens both ways", ErrPTZCmd, code)
		}
		return PTZFocusIris{
			Focus: axis(code&0x01 != 0, code&0x02 != 0, d1),
			Iris:  axis(code&0x04 != 0, code&0x08 != 0, d2),
		}, nil
	}
	var in PTZInstruction
	group, twelveBits := int(d1), int(d2)|int(d3)<<8
	switch code {
	case ptzPresetSet:
		in = PresetSet{Index: int(d2)}
	case ptzPresetGoto:
		in = PresetGoto{Index: int(d2)}
	case ptzPresetDelete:
		in = PresetDelete{Index: int(d2)}
	case ptzCruiseAdd:
		in = CruiseAdd{Group: group, Preset: int(d2)}
	case ptzCruiseDelete:
		in = CruiseDelete{Group: group, Preset: int(d2)}
	case ptzCruiseSpeed:
		in = CruiseSpeed{Group: group, Speed: twelveBits}
	case ptzCruiseDwell:
		in = CruiseDwell{Group: group, Seconds: twelveBits}
	case ptzCruiseStart:
		in = CruiseStart{Group: group}
	case ptzScan:
		switch d2 {
		case 0:
			in = ScanStart{Group: group}
		case 1:
			in = ScanSetLeft{Group: group}
		case 2:
			in = ScanSetRight{Group: group}
		default:
			return nil, fmt.Errorf("%w: scan operation %02X", ErrPTZCmd, d2)
		}
	case ptzScanSpeed:
		in = ScanSpeed{Group: group, Speed: twelveBits}
	case ptzAuxOn, ptzAuxOff:
		in = AuxSwitch{Number: int(d1), On: code == ptzAuxOn}
	default:
		return nil, fmt.Errorf("%w: %02X", ErrPTZUnknown, code)
	}
	// What the encoder would refuse (a preset index of 0, a speed of 0) is malformed.
	if _, _, _, _, err := in.ptzBytes(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPTZCmd, err)
	}
	return in, nil
}

// axis turns two direction bits and a speed into a signed speed.
func axis(positive, negative bool, speed byte) int {
	v := max(int(speed), 1)
	switch {
	case positive:
		return v
	case negative:
		return -v
	}
	return 0
}

// signedAxis splits a signed speed into its direction bit and magnitude.
func signedAxis(name string, v, limit int, positiveBit, negativeBit byte) (bits, speed byte, err error) {
	if err := inRange(name, v, -limit, limit); err != nil {
		return 0, 0, err
	}
	switch {
	case v > 0:
		return positiveBit, byte(v), nil
	case v < 0:
		return negativeBit, byte(-v), nil
	}
	return 0, 0, nil
}

func (m PTZMove) ptzBytes() (code, d1, d2, d3 byte, err error) {
	pan, panSpeed, err := signedAxis("pan speed", m.Pan, 255, 0x01, 0x02)
	if err != nil {
		return
	}
	tilt, tiltSpeed, err := signedAxis("tilt speed", m.Tilt, 255, 0x08, 0x04)
	if err != nil {
		return
	}
	zoom, zoomSpeed, err := signedAxis("zoom speed", m.Zoom, 15, 0x10, 0x20)
	if err != nil {
		return
	}
	return pan | tilt | zoom, panSpeed, tiltSpeed, zoomSpeed, nil
}

func (f PTZFocusIris) ptzBytes() (code, d1, d2, d3 byte, err error) {
	focus, focusSpeed, err := signedAxis("focus speed", f.Focus, 255, 0x01, 0x02)
	if err != nil {
		return
	}
	iris, irisSpeed, err := signedAxis("iris speed", f.Iris, 255, 0x04, 0x08)
	if err != nil {
		return
	}
	return ptzFocusIris | focus | iris, focusSpeed, irisSpeed, 0, nil
}

func presetBytes(code byte, index int) (byte, byte, byte, byte, error) {
	if err := inRange("preset index", index, 1, 255); err != nil {
		return 0, 0, 0, 0, err
	}
	return code, 0, byte(index), 0, nil
}

func (p PresetSet) ptzBytes() (byte, byte, byte, byte, error) {
	return presetBytes(ptzPresetSet, p.Index)
}

func (p PresetGoto) ptzBytes() (byte, byte, byte, byte, error) {
	return presetBytes(ptzPresetGoto, p.Index)
}

func (p PresetDelete) ptzBytes() (byte, byte, byte, byte, error) {
	return presetBytes(ptzPresetDelete, p.Index)
}

// groupBytes writes a group number and an 8-bit datum.
func groupBytes(code byte, group, data, dataMin int) (byte, byte, byte, byte, error) {
	if err := inRange("group", group, 0, 255); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := inRange("preset", data, dataMin, 255); err != nil {
		return 0, 0, 0, 0, err
	}
	return code, byte(group), byte(data), 0, nil
}

// twelveBitBytes writes a group number and a 12-bit value: low 8 bits in byte 6, high
// 4 bits in byte 7's data nibble.
func twelveBitBytes(code byte, name string, group, v int) (byte, byte, byte, byte, error) {
	if err := inRange("group", group, 0, 255); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := inRange(name, v, 1, 0xFFF); err != nil {
		return 0, 0, 0, 0, err
	}
	return code, byte(group), byte(v), byte(v >> 8), nil
}

func (c CruiseAdd) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzCruiseAdd, c.Group, c.Preset, 1)
}

func (c CruiseDelete) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzCruiseDelete, c.Group, c.Preset, 0)
}

func (c CruiseSpeed) ptzBytes() (byte, byte, byte, byte, error) {
	return twelveBitBytes(ptzCruiseSpeed, "cruise speed", c.Group, c.Speed)
}

func (c CruiseDwell) ptzBytes() (byte, byte, byte, byte, error) {
	return twelveBitBytes(ptzCruiseDwell, "cruise dwell time", c.Group, c.Seconds)
}

func (c CruiseStart) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzCruiseStart, c.Group, 0, 0)
}

func (s ScanStart) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzScan, s.Group, 0, 0)
}

func (s ScanSetLeft) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzScan, s.Group, 1, 0)
}

func (s ScanSetRight) ptzBytes() (byte, byte, byte, byte, error) {
	return groupBytes(ptzScan, s.Group, 2, 0)
}

func (s ScanSpeed) ptzBytes() (byte, byte, byte, byte, error) {
	return twelveBitBytes(ptzScanSpeed, "scan speed", s.Group, s.Speed)
}

func (a AuxSwitch) ptzBytes() (byte, byte, byte, byte, error) {
	if err := inRange("aux switch", a.Number, 0, 255); err != nil {
		return 0, 0, 0, 0, err
	}
	code := byte(ptzAuxOff)
	if a.On {
		code = ptzAuxOn
	}
	return code, byte(a.Number), 0, 0, nil
}
