package manscdp

import (
	"errors"
	"testing"
)

// FuzzParsePTZCmd feeds arbitrary text to ParsePTZCmd: it must never panic, must fail
// only with ErrPTZCmd or ErrPTZUnknown, and whatever it accepts must encode to a
// command that reads back the same.
func FuzzParsePTZCmd(f *testing.F) {
	for _, v := range ptzVectors {
		f.Add(v.hex)
	}
	f.Add("A50F0110000010C5")
	f.Add("a50f0101000000b6")
	f.Add("A5100100000000B6")
	f.Add("A50F018901030042")
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := ParsePTZCmd(s)
		if err != nil {
			if !errors.Is(err, ErrPTZCmd) && !errors.Is(err, ErrPTZUnknown) {
				t.Fatalf("ParsePTZCmd(%q): unexpected error %v", s, err)
			}
			return
		}
		enc, err := cmd.Encode()
		if err != nil {
			t.Fatalf("Encode(ParsePTZCmd(%q) = %+v): %v", s, cmd, err)
		}
		back, err := ParsePTZCmd(enc)
		if err != nil || back != cmd {
			t.Fatalf("ParsePTZCmd(%q) = %+v, encoded %s, read back %+v, %v", s, cmd, enc, back, err)
		}
	})
}
