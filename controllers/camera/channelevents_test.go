package camera

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func item(id, event, status string) manscdp.CatalogItem {
	return manscdp.CatalogItem{DeviceID: id, Name: "cam " + id, Status: status, Event: event}
}

// TestApplyChannelChanges drives the catalog events through a status: each event's
// effect on the channels and their count, the presets kept, and changes older than a
// catalog answer of the same reconcile skipped.
func TestApplyChannelChanges(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	base := func() gbv1.CameraStatus {
		return gbv1.CameraStatus{ChannelCount: 2, Channels: []gbv1.Channel{
			{ID: "a", Name: "cam a", Status: "ON", Presets: []gbv1.Preset{{Index: 1, Name: "door"}}},
			{ID: "c", Name: "cam c", Status: "ON"},
		}}
	}
	change := func(it manscdp.CatalogItem, at time.Time) channelChange {
		c, ok := changeFromItem(it, at)
		if !ok {
			t.Fatalf("item %+v makes no change", it)
		}
		return c
	}
	cases := []struct {
		name      string
		changes   []channelChange
		notAfter  time.Time
		wantIDs   []string
		wantState map[string]string
		wantCount int32
	}{
		{"OFF", []channelChange{change(item("a", manscdp.EventOff, "OFF"), t0)}, time.Time{},
			[]string{"a", "c"}, map[string]string{"a": "OFF", "c": "ON"}, 2},
		{"VLOST and DEFECT", []channelChange{change(item("a", manscdp.EventVLost, ""), t0), change(item("c", manscdp.EventDefect, "ON"), t0)}, time.Time{},
			[]string{"a", "c"}, map[string]string{"a": "VLOST", "c": "DEFECT"}, 2},
		{"ADD in order", []channelChange{change(item("b", manscdp.EventAdd, "ON"), t0)}, time.Time{},
			[]string{"a", "b", "c"}, map[string]string{"b": "ON"}, 3},
		{"DEL", []channelChange{change(item("c", manscdp.EventDel, ""), t0)}, time.Time{},
			[]string{"a"}, nil, 1},
		{"DEL of an unknown channel", []channelChange{change(item("z", manscdp.EventDel, ""), t0)}, time.Time{},
			[]string{"a", "c"}, nil, 2},
		{"ON of an unknown channel adds it", []channelChange{change(item("d", manscdp.EventOn, "ON"), t0)}, time.Time{},
			[]string{"a", "c", "d"}, map[string]string{"d": "ON"}, 3},
		{"UPDATE keeps presets and status", []channelChange{change(manscdp.CatalogItem{DeviceID: "a", Name: "renamed", Event: manscdp.EventUpdate}, t0)}, time.Time{},
			[]string{"a", "c"}, map[string]string{"a": "ON"}, 2},
		{"older than the catalog answer", []channelChange{change(item("a", manscdp.EventOff, "OFF"), t0)}, t0.Add(time.Second),
			[]string{"a", "c"}, map[string]string{"a": "ON"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := base()
			applyChannelChanges(&st, tc.changes, tc.notAfter)
			var ids []string
			for _, ch := range st.Channels {
				ids = append(ids, ch.ID)
				if want, ok := tc.wantState[ch.ID]; ok && ch.Status != want {
					t.Errorf("channel %s is %q, want %q", ch.ID, ch.Status, want)
				}
			}
			if diff := cmp.Diff(tc.wantIDs, ids); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
			if st.ChannelCount != tc.wantCount {
				t.Errorf("channelCount %d, want %d", st.ChannelCount, tc.wantCount)
			}
			for _, ch := range st.Channels {
				if ch.ID == "a" && len(ch.Presets) != 1 {
					t.Errorf("channel a lost its presets: %+v", ch)
				}
			}
		})
	}
	t.Run("UPDATE replaces the fields", func(t *testing.T) {
		st := base()
		applyChannelChanges(&st, []channelChange{change(manscdp.CatalogItem{DeviceID: "c", Name: "gate", Model: "X", Event: manscdp.EventUpdate}, t0)}, time.Time{})
		if ch := st.Channels[1]; ch.Name != "gate" || ch.Model != "X" || ch.Status != "ON" {
			t.Errorf("updated channel %+v", ch)
		}
	})
}

// TestChannelTable: the changes of one channel merge (the latest wins, a status after an
// ADD keeps its fields), a device holds at most MaxChannels channels waiting, and what
// was written is released unless a later change came.
func TestChannelTable(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tab := newChannelTable()
	tab.add("nvr", "uid", []manscdp.CatalogItem{
		{DeviceID: "b", Name: "new one", Event: manscdp.EventAdd},
		item("b", manscdp.EventOff, "OFF"),
		item("a", manscdp.EventOn, "ON"),
		item("a", manscdp.EventOff, "OFF"),
		{DeviceID: "", Event: manscdp.EventOn},
		{DeviceID: "x", Event: "BOGUS"},
	}, t0)
	got := tab.pending("nvr", "uid")
	if len(got) != 2 {
		t.Fatalf("pending %+v, want a and b", got)
	}
	byID := map[string]channelChange{got[0].channel.ID: got[0], got[1].channel.ID: got[1]}
	if b := byID["b"]; b.event != manscdp.EventAdd || b.channel.Name != "new one" || b.channel.Status != "OFF" {
		t.Errorf("b %+v, want its ADD with status OFF", b)
	}
	if a := byID["a"]; a.event != manscdp.EventOff {
		t.Errorf("a %+v, want the latest: OFF", a)
	}
	if p := tab.pending("nvr", "another uid"); p != nil {
		t.Errorf("another owner sees %+v", p)
	}

	tab.add("nvr", "uid", []manscdp.CatalogItem{item("a", manscdp.EventOn, "ON")}, t0)
	tab.consumed("nvr", got)
	if p := tab.pending("nvr", "uid"); len(p) != 1 || p[0].channel.ID != "a" || p[0].event != manscdp.EventOn {
		t.Errorf("after the write: %+v, want a's later ON", p)
	}

	var many []manscdp.CatalogItem
	for i := range gbv1.MaxChannels + 10 {
		many = append(many, item(string(rune('A'+i%26))+string(rune(i)), manscdp.EventAdd, "ON"))
	}
	tab.add("big", "uid", many, t0)
	if n := len(tab.pending("big", "uid")); n != gbv1.MaxChannels {
		t.Errorf("%d channels waiting, want the bound %d", n, gbv1.MaxChannels)
	}
	tab.forget("big")
	if p := tab.pending("big", "uid"); p != nil {
		t.Errorf("forgotten device still has %d", len(p))
	}
}
