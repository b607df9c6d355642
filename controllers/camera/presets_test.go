package camera

import (
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func TestCanHavePresets(t *testing.T) {
	tests := []struct {
		id, status string
		want       bool
	}{
		{"34020000001310000001", "ON", true},   // camera
		{"34020000001320000001", "", true},     // IPC
		{"34020000001180000001", "ON", false},  // NVR
		{"34020000001340000001", "ON", false},  // alarm input
		{"34020000002150000001", "ON", false},  // business group
		{"34020000001310000001", "OFF", false}, // offline
		{"34020000001310000001", "offline", false},
		{"lobby-1", "ON", true}, // not a GB ID: unknown, asked
		{"", "ON", false},
	}
	for _, tc := range tests {
		if got := canHavePresets(tc.id, tc.status); got != tc.want {
			t.Errorf("canHavePresets(%q, %q) = %v, want %v", tc.id, tc.status, got, tc.want)
		}
	}
}

func TestPresetChannelsBounded(t *testing.T) {
	cat := &manscdp.Catalog{Items: append(items(5), items(5)...)} // repeated across parts
	if got := catalogPresetChannels(cat, 3); len(got) != 3 {
		t.Errorf("catalog channels %v, want 3", got)
	}
	if got := catalogPresetChannels(cat, 16); len(got) != 5 {
		t.Errorf("catalog channels %v, want each of the 5 once", got)
	}
	chans, _ := channelsFromCatalog(cat)
	if got := presetChannels(chans, 2); len(got) != 2 || got[0] != chans[0].ID {
		t.Errorf("status channels %v", got)
	}
}

func TestPresetsFrom(t *testing.T) {
	got := presetsFrom([]manscdp.Preset{{ID: 9, Name: "b"}, {ID: 2, Name: strings.Repeat("门", 40)}, {ID: 9, Name: "dup"}, {ID: 0}, {ID: 256}})
	if len(got) != 2 || got[0].Index != 2 || got[1] != (gbv1.Preset{Index: 9, Name: "b"}) || len(got[0].Name) > maxPresetNameLen {
		t.Errorf("presets %+v", got)
	}
}

// TestBuildStatusPresets: presets land on their channels, survive a catalog refresh
// that replaces the channels, and a new answer replaces them.
func TestBuildStatusPresets(t *testing.T) {
	o := baseObservation()
	o.device.Binding = liveBinding(t0.Add(-time.Minute), t0)
	o.query.catalog, o.query.catalogAt = &manscdp.Catalog{Items: items(2)}, t0
	ch := items(2)[1].DeviceID
	o.query.detail = &detailResult{presets: map[string][]manscdp.Preset{ch: {{ID: 1, Name: "gate"}}}}
	st, _ := buildStatus(o)
	if st.Channels[0].ID != ch || len(st.Channels[0].Presets) != 1 || len(st.Channels[1].Presets) != 0 {
		t.Fatalf("channels %+v", st.Channels)
	}

	o.old = st
	o.query.detail = nil // a refresh brings the catalog again, not the presets
	st, _ = buildStatus(o)
	if len(st.Channels[0].Presets) != 1 {
		t.Fatalf("presets lost by a catalog refresh: %+v", st.Channels)
	}

	o.old, o.query.catalog = st, nil
	o.query.detail = &detailResult{presets: map[string][]manscdp.Preset{ch: nil}}
	st, _ = buildStatus(o)
	if len(st.Channels[0].Presets) != 0 {
		t.Errorf("a deleted preset stays: %+v", st.Channels[0])
	}
}
