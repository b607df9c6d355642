package manscdp

import (
	"errors"
	"testing"
)

// ptzVectors are commands as public code and the standard write them, with what they
// mean. Each is checked both ways: Encode writes exactly the hex, ParsePTZCmd reads it
// back.
var ptzVectors = []struct {
	name   string
	hex    string
	cmd    PTZCmd
	source string
}{
	{"stop", "A50F0100000000B5", NewPTZCmd(PTZMove{}), "WVP-GB28181-pro frontEndCmdString(0,0,0,0); Monibuca toPtzStr(0,0,0,0)"},
	{"set preset 1", "A50F018100010037", NewPTZCmd(PresetSet{Index: 1}), "the standard's example, quoted in uvp-gb28181-sim; WVP frontEndCmdString(0x81,0,1,0)"},
	{"right at 32", "A50F0101200000D6", NewPTZCmd(PTZMove{Pan: 32}), "WVP frontEndCmdString(1,0x20,0,0)"},
	{"up-left at 128", "A50F010A808000BF", NewPTZCmd(PTZMove{Pan: -128, Tilt: 128}), "WVP cmdString(1,1,0,0x80,0)"},
	{"zoom in at 10", "A50F01100000A065", NewPTZCmd(PTZMove{Zoom: 10}), "Monibuca toPtzStr(0x10,0,0,0xA0)"},
	{"zoom in at 1", "A50F0110000010D5", NewPTZCmd(PTZMove{Zoom: 1}), "7608_netcam firmware comment"},
	{"zoom out at 1", "A50F0120000010E5", NewPTZCmd(PTZMove{Zoom: -1}), "7608_netcam firmware comment"},
	{"left at 35, address 0", "A50F0002230000D9", PTZCmd{Instruction: PTZMove{Pan: -35}}, "7608_netcam firmware comment"},
	{"right at 35, address 0", "A50F0001230000D8", PTZCmd{Instruction: PTZMove{Pan: 35}}, "7608_netcam firmware comment"},
	{"up at 35, address 0", "A50F0008002300DF", PTZCmd{Instruction: PTZMove{Tilt: 35}}, "7608_netcam firmware comment"},
	{"down at 35, address 0", "A50F0004002300DB", PTZCmd{Instruction: PTZMove{Tilt: -35}}, "7608_netcam firmware comment"},
	{"down-right, address 0", "A50F0005232300FF", PTZCmd{Instruction: PTZMove{Pan: 35, Tilt: -35}}, "7608_netcam firmware comment"},
	{"down-left, address 0 (checksum 00)", "A50F000623230000", PTZCmd{Instruction: PTZMove{Pan: -35, Tilt: -35}}, "7608_netcam firmware comment"},
	{"up-right, address 0", "A50F000923230003", PTZCmd{Instruction: PTZMove{Pan: 35, Tilt: 35}}, "7608_netcam firmware comment"},
	{"up-left, address 0", "A50F000A23230004", PTZCmd{Instruction: PTZMove{Pan: -35, Tilt: 35}}, "7608_netcam firmware comment"},
	{"stop, address 0", "A50F0000000000B4", PTZCmd{Instruction: PTZMove{}}, "7608_netcam firmware comment"},
	{"left at 180", "A50F0102B400006B", NewPTZCmd(PTZMove{Pan: -180}), "an eXosip GB28181 platform's control table"},
	{"right at 180", "A50F0101B400006A", NewPTZCmd(PTZMove{Pan: 180}), "an eXosip GB28181 platform's control table"},
	{"up at 180", "A50F010800B40071", NewPTZCmd(PTZMove{Tilt: 180}), "an eXosip GB28181 platform's control table"},
	{"down at 180", "A50F010400B4006D", NewPTZCmd(PTZMove{Tilt: -180}), "an eXosip GB28181 platform's control table"},
	{"zoom out at 10", "A50F01200000A075", NewPTZCmd(PTZMove{Zoom: -10}), "an eXosip GB28181 platform's control table"},
	{"right at 8", "A50F0101080000BE", NewPTZCmd(PTZMove{Pan: 8}), "a Rust GB28181 stack's DeviceControl test"},
	// Computed from Annex A.3 (byte layout in ptz.go), one per instruction.
	{"focus far at 16", "A50F014110000006", NewPTZCmd(PTZFocusIris{Focus: 16}), "Annex A.3"},
	{"iris close at 32", "A50F01480020001D", NewPTZCmd(PTZFocusIris{Iris: -32}), "Annex A.3"},
	{"focus near and iris open together", "A50F014605060006", NewPTZCmd(PTZFocusIris{Focus: -5, Iris: 6}), "Annex A.3"},
	{"goto preset 1", "A50F018200010038", NewPTZCmd(PresetGoto{Index: 1}), "Annex A.3"},
	{"delete preset 255", "A50F018300FF0037", NewPTZCmd(PresetDelete{Index: 255}), "Annex A.3"},
	{"cruise 1 add preset 2", "A50F01840102003C", NewPTZCmd(CruiseAdd{Group: 1, Preset: 2}), "Annex A.3"},
	{"cruise 1 delete", "A50F01850100003B", NewPTZCmd(CruiseDelete{Group: 1}), "Annex A.3"},
	{"cruise 1 speed 300 (12 bits)", "A50F0186012C1078", NewPTZCmd(CruiseSpeed{Group: 1, Speed: 300}), "Annex A.3"},
	{"cruise 1 dwell 10 s", "A50F0187010A0047", NewPTZCmd(CruiseDwell{Group: 1, Seconds: 10}), "Annex A.3"},
	{"cruise 1 start", "A50F01880100003E", NewPTZCmd(CruiseStart{Group: 1}), "Annex A.3"},
	{"scan 1 start", "A50F01890100003F", NewPTZCmd(ScanStart{Group: 1}), "Annex A.3"},
	{"scan 1 left edge", "A50F018901010040", NewPTZCmd(ScanSetLeft{Group: 1}), "Annex A.3"},
	{"scan 1 right edge", "A50F018901020041", NewPTZCmd(ScanSetRight{Group: 1}), "Annex A.3"},
	{"scan 1 speed 4095", "A50F018A01FFF02F", NewPTZCmd(ScanSpeed{Group: 1, Speed: 4095}), "Annex A.3"},
	{"wiper on", "A50F018C01000042", NewPTZCmd(AuxSwitch{Number: 1, On: true}), "Annex A.3"},
	{"wiper off", "A50F018D01000043", NewPTZCmd(AuxSwitch{Number: 1}), "Annex A.3"},
	{"address 0xABC", "A50FBC0000000A7A", PTZCmd{Address: 0xABC, Instruction: PTZMove{}}, "Annex A.3"},
}

func TestPTZVectors(t *testing.T) {
	for _, v := range ptzVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := v.cmd.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got != v.hex {
				t.Errorf("Encode = %s, want %s (%s)", got, v.hex, v.source)
			}
			back, err := ParsePTZCmd(v.hex)
			if err != nil {
				t.Fatalf("ParsePTZCmd(%s): %v", v.hex, err)
			}
			if back != v.cmd {
				t.Errorf("ParsePTZCmd(%s) = %+v, want %+v", v.hex, back, v.cmd)
			}
		})
	}
}

func TestParsePTZCmd(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    PTZCmd
		wantErr error
	}{
		{name: "lower case, surrounding space", in: " a50f0100000000b5\r\n", want: NewPTZCmd(PTZMove{})},
		// WVP's newer front-end code sends both speeds whatever the direction: a tilt
		// speed without a tilt bit moves nothing.
		{name: "speed without its direction bit", in: "A50F0101202000F6", want: NewPTZCmd(PTZMove{Pan: 32})},
		// The same, as a Rust platform's PTZ test sends a left turn.
		{name: "left with a tilt speed and no tilt bit", in: "A50F0102201000E7", want: NewPTZCmd(PTZMove{Pan: -32})},
		{name: "direction at speed 0 moves at the slowest speed", in: "A50F0101000000B6", want: NewPTZCmd(PTZMove{Pan: 1})},
		{name: "another version with its check nibble", in: "A5100100000000B6", want: NewPTZCmd(PTZMove{})},
		{name: "empty", in: "", wantErr: ErrPTZCmd},
		{name: "short", in: "A50F01", wantErr: ErrPTZCmd},
		{name: "long", in: "A50F0100000000B500", wantErr: ErrPTZCmd},
		{name: "not hex", in: "ZZ0F0100000000B5", wantErr: ErrPTZCmd},
		{name: "wrong header", in: "A60F0100000000B6", wantErr: ErrPTZCmd},
		{name: "wrong check nibble", in: "A5000100000000A6", wantErr: ErrPTZCmd},
		{name: "wrong checksum", in: "A50F0100000000B4", wantErr: ErrPTZCmd},
		// WVP-GB28181-pro's older cmdString leaves a zoom speed under 16 out of the
		// checksum (it adds zoomSpeed & 0xF0): zoom in at speed 1.
		{name: "WVP cmdString zoom checksum", in: "A50F0110000010C5", wantErr: ErrPTZCmd},
		{name: "left and right at once", in: "A50F0103000000B8", wantErr: ErrPTZCmd},
		{name: "focus near and far at once", in: "A50F0143000000F8", wantErr: ErrPTZCmd},
		{name: "preset 0", in: "A50F018100000036", wantErr: ErrPTZCmd},
		{name: "scan operation 3", in: "A50F018901030042", wantErr: ErrPTZCmd},
		{name: "instruction 8B", in: "A50F018B00000040", wantErr: ErrPTZUnknown},
		{name: "instruction C0", in: "A50F01C000000075", wantErr: ErrPTZUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePTZCmd(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParsePTZCmd(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePTZCmd(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParsePTZCmd(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPTZEncodeRefusesOutOfRange(t *testing.T) {
	for _, cmd := range []PTZCmd{
		{Address: -1, Instruction: PTZMove{}},
		{Address: 0x1000, Instruction: PTZMove{}},
		NewPTZCmd(nil),
		NewPTZCmd(PTZMove{Pan: 256}),
		NewPTZCmd(PTZMove{Tilt: -256}),
		NewPTZCmd(PTZMove{Zoom: 16}),
		NewPTZCmd(PTZFocusIris{Focus: 300}),
		NewPTZCmd(PresetSet{Index: 0}),
		NewPTZCmd(PresetGoto{Index: 256}),
		NewPTZCmd(CruiseAdd{Group: 1, Preset: 0}),
		NewPTZCmd(CruiseStart{Group: 256}),
		NewPTZCmd(CruiseSpeed{Group: 1, Speed: 0}),
		NewPTZCmd(CruiseDwell{Group: 1, Seconds: 4096}),
		NewPTZCmd(ScanSpeed{Group: -1, Speed: 1}),
		NewPTZCmd(AuxSwitch{Number: 256}),
	} {
		if s, err := cmd.Encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Encode(%+v) = %q, %v; want ErrInvalid", cmd, s, err)
		}
	}
}

// TestPTZRoundTrip encodes every instruction across its range and reads it back.
func TestPTZRoundTrip(t *testing.T) {
	var ins []PTZInstruction
	for _, s := range []int{-255, -128, -1, 0, 1, 127, 255} {
		for _, z := range []int{-15, -1, 0, 1, 15} {
			ins = append(ins, PTZMove{Pan: s, Tilt: -s, Zoom: z}, PTZFocusIris{Focus: s, Iris: z})
		}
	}
	for _, n := range []int{1, 2, 128, 255} {
		ins = append(ins, PresetSet{n}, PresetGoto{n}, PresetDelete{n}, CruiseAdd{n - 1, n}, CruiseDelete{n, n - 1},
			CruiseSpeed{n, n * 16}, CruiseDwell{n - 1, n*16 + 15}, CruiseStart{n}, ScanStart{n}, ScanSetLeft{n},
			ScanSetRight{n}, ScanSpeed{n, n}, AuxSwitch{n, true}, AuxSwitch{n, false})
	}
	for _, addr := range []int{0, 1, 255, 256, 4095} {
		for _, in := range ins {
			cmd := PTZCmd{Address: addr, Instruction: in}
			s, err := cmd.Encode()
			if err != nil {
				t.Fatalf("Encode(%+v): %v", cmd, err)
			}
			back, err := ParsePTZCmd(s)
			if err != nil || back != cmd {
				t.Fatalf("ParsePTZCmd(Encode(%+v) = %s) = %+v, %v", cmd, s, back, err)
			}
		}
	}
}
