package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestFollowerReadsWhatCamsimWrites writes reports with WriteReport, as camsim does, and
// follows them: the latest progress (which device lines and unknown kinds do not
// replace), the first report with every device registered, each device's latest state,
// and the summary.
func TestFollowerReadsWhatCamsimWrites(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	for _, r := range []Report{
		{Kind: ReportProgress, At: t0, Summary: Summary{Devices: 20, Registered: 10, Failed: 1}},
		{Kind: ReportProgress, At: t0.Add(time.Second), Summary: Summary{Devices: 20, Registered: 20, Failed: 1, KeepalivesOK: 40}},
		{Kind: ReportProgress, At: t0.Add(2 * time.Second), Summary: Summary{Devices: 20, Registered: 21, Failed: 1, KeepalivesOK: 50}},
		{Kind: ReportDevice, At: t0.Add(2 * time.Second), Device: &DeviceState{ID: "a", LastCommand: "PTZ stop"}},
		{Kind: ReportDevice, At: t0.Add(2 * time.Second), Device: &DeviceState{ID: "a", LastCommand: "GuardCmd SetGuard", Armed: true}},
		{Kind: "a kind of a later camsim", At: t0.Add(2 * time.Second)},
		{Kind: ReportSummary, At: t0.Add(3 * time.Second), Summary: Summary{Devices: 20, Registered: 21, Unregistered: 20}},
	} {
		if err := WriteReport(&out, r); err != nil {
			t.Fatal(err)
		}
	}
	var f Follower
	if _, err := f.Summary(); err == nil {
		t.Error("a summary before camsim ended")
	}
	f.Follow(&out)
	if p := f.Progress(); p.Registered != 21 || p.KeepalivesOK != 50 {
		t.Errorf("latest progress %+v", p)
	}
	if at := f.AllRegisteredAt(); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("all registered at %v, want %v", at, t0.Add(time.Second))
	}
	if d, ok := f.Device("a"); !ok || !d.Armed || d.LastCommand != "GuardCmd SetGuard" {
		t.Errorf("device a: %+v, %v", d, ok)
	}
	if _, ok := f.Device("b"); ok {
		t.Error("a state for a device that reported none")
	}
	if s, err := f.Summary(); err != nil || s.Unregistered != 20 {
		t.Errorf("summary %+v, %v", s, err)
	}
}

func TestFollowerWithoutSummary(t *testing.T) {
	tests := []struct {
		name, output string
	}{
		{"camsim died before its summary", `{"kind":"progress","devices":1}` + "\n"},
		{"a line that is not a report", "registered 1/1  failed 0\n"},
	}
	for _, tt := range tests {
		var f Follower
		f.Follow(strings.NewReader(tt.output))
		if _, err := f.Summary(); err == nil {
			t.Errorf("%s: Summary returned no error", tt.name)
		}
	}
}
