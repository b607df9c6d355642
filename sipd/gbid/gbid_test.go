package gbid

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		domain  string
		wantErr bool
	}{
		{in: "34020000001320000001", want: ID{"34020000", "00", "132", "0", "000001"}, domain: "3402000000"},
		{in: "34020000002000000001", want: ID{"34020000", "00", "200", "0", "000001"}, domain: "3402000000"},
		{in: "11010812345187654321", want: ID{"11010812", "34", "518", "7", "654321"}, domain: "1101081234"},
		{in: "130909113319427420", wantErr: true}, // 18 digits, as in the Hikvision capture
		{in: "1018", wantErr: true},
		{in: "", wantErr: true},
		{in: "3402000000132000000a", wantErr: true},
		{in: "３４020000001320000001", wantErr: true}, // full-width digits are not digits here
		{in: "340200000013200000011", wantErr: true},
		{in: " 4020000001320000001", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error = %v, want ErrInvalid", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got.String())
		}
		if got.Domain() != tt.domain {
			t.Errorf("Parse(%q).Domain() = %q, want %q", tt.in, got.Domain(), tt.domain)
		}
	}
}

func TestDeviceType(t *testing.T) {
	tests := map[string]string{
		"34020000001110000001": "DVR",
		"34020000001120000001": "VideoServer",
		"34020000001130000001": "Encoder",
		"34020000001140000001": "Decoder",
		"34020000001170000001": "AlarmController",
		"34020000001180000001": "NVR",
		"34020000001310000001": "Camera",
		"34020000001320000001": "IPC",
		"34020000001340000001": "AlarmInput",
		"34020000001350000001": "AlarmOutput",
		"34020000001360000001": "AudioInput",
		"34020000002000000001": "SIPServer",
		"34020000002020000001": "MediaServer",
		"34020000002150000001": "BusinessGroup",
		"34020000002160000001": "VirtualOrganization",
		"34020000003000000001": "CenterUser",
		"34020000001190000001": "", // reserved extension range
		"34020000009990000001": "",
		"130909113319427420":   "", // 18-digit field ID: no type is derived
		"1018":                 "",
		"":                     "",
		"3402000000132000000x": "",
	}
	for in, want := range tests {
		if got := DeviceType(in); got != want {
			t.Errorf("DeviceType(%q) = %q, want %q", in, got, want)
		}
	}
}
