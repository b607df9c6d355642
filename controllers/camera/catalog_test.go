package camera

import (
	"fmt"
	"strings"
	"testing"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func items(n int) []manscdp.CatalogItem {
	out := make([]manscdp.CatalogItem, n)
	for i := range out {
		// Reverse order, so sorting is exercised.
		out[i] = manscdp.CatalogItem{DeviceID: fmt.Sprintf("3402000000131%07d", n-i), Name: fmt.Sprintf("ch%d", n-i), Status: "ON"}
	}
	return out
}

func TestChannelsFromCatalog(t *testing.T) {
	tests := []struct {
		name      string
		cat       *manscdp.Catalog
		wantLen   int
		wantCount int32
		wantFirst string
	}{
		{name: "nil", cat: nil},
		{name: "empty", cat: &manscdp.Catalog{}},
		{name: "sorted", cat: &manscdp.Catalog{SumNum: 3, Items: items(3)},
			wantLen: 3, wantCount: 3, wantFirst: "34020000001310000001"},
		{name: "duplicates across parts merged, empty IDs dropped",
			cat:     &manscdp.Catalog{SumNum: 3, Items: append(append(items(3), items(2)...), manscdp.CatalogItem{Name: "no id"})},
			wantLen: 3, wantCount: 3, wantFirst: "34020000001310000001"},
		{name: "partial: count is what the device announced",
			cat:     &manscdp.Catalog{SumNum: 10, Items: items(4)},
			wantLen: 4, wantCount: 10, wantFirst: "34020000001310000001"},
		{name: "more than announced: count is what arrived",
			cat:     &manscdp.Catalog{SumNum: 1, Items: items(2)},
			wantLen: 2, wantCount: 2, wantFirst: "34020000001310000001"},
		{name: "bounded to MaxChannels, count exact",
			cat:     &manscdp.Catalog{SumNum: 2500, Items: items(2500)},
			wantLen: gbv1.MaxChannels, wantCount: 2500, wantFirst: "34020000001310000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chans, count := channelsFromCatalog(tc.cat)
			if len(chans) != tc.wantLen || count != tc.wantCount {
				t.Fatalf("got %d channels, count %d; want %d, %d", len(chans), count, tc.wantLen, tc.wantCount)
			}
			if tc.wantLen > 0 && chans[0].ID != tc.wantFirst {
				t.Errorf("first = %s, want %s", chans[0].ID, tc.wantFirst)
			}
			for i := 1; i < len(chans); i++ {
				if chans[i-1].ID >= chans[i].ID {
					t.Fatalf("not sorted/unique at %d: %s, %s", i, chans[i-1].ID, chans[i].ID)
				}
			}
		})
	}
}

func TestChannelsFromCatalogBoundsStrings(t *testing.T) {
	cat := &manscdp.Catalog{Items: []manscdp.CatalogItem{{
		DeviceID: strings.Repeat("9", 100), Name: strings.Repeat("名", 200), Address: "a\x00b",
	}}}
	chans, _ := channelsFromCatalog(cat)
	c := chans[0]
	if len(c.ID) != maxIDLen || len(c.Name) > maxFieldLen || c.Address != "ab" {
		t.Errorf("strings not bounded: id %d name %d address %q", len(c.ID), len(c.Name), c.Address)
	}
}

func TestDeviceInfoFromManscdp(t *testing.T) {
	if deviceInfoFromManscdp(nil) != nil {
		t.Error("nil answer must give nil")
	}
	got := deviceInfoFromManscdp(&manscdp.DeviceInfo{DeviceName: "n", Manufacturer: "m", Model: "x", Firmware: "f", Channel: -3})
	want := gbv1.DeviceInfo{Name: "n", Manufacturer: "m", Model: "x", Firmware: "f"}
	if *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

// TestApplyQueryResultKeepsChannelsOfAPartialCatalog: a partial catalog replaces the
// channels it brings and keeps the status's others (with their presets); a complete one
// replaces them all.
func TestApplyQueryResultKeepsChannelsOfAPartialCatalog(t *testing.T) {
	statusOf4 := func() gbv1.CameraStatus {
		st := gbv1.CameraStatus{ChannelCount: 4}
		st.Channels, _ = channelsFromCatalog(&manscdp.Catalog{SumNum: 4, Items: items(4)})
		st.Channels[2].Presets = []gbv1.Preset{{Index: 1, Name: "gate"}}
		return st
	}
	renamed := func(n int) []manscdp.CatalogItem {
		its := items(n)
		for i := range its {
			its[i].Name += " renamed"
		}
		return its
	}
	for _, tc := range []struct {
		name      string
		old       gbv1.CameraStatus
		cat       *manscdp.Catalog
		wantNames []string
		wantCount int32
	}{
		{"partial: the parts that arrived replace their channels, the others stay", statusOf4(),
			&manscdp.Catalog{SumNum: 4, Items: renamed(2)}, []string{"ch1 renamed", "ch2 renamed", "ch3", "ch4"}, 4},
		{"complete: the catalog replaces the channels", statusOf4(),
			&manscdp.Catalog{SumNum: 2, Items: renamed(2)}, []string{"ch1 renamed", "ch2 renamed"}, 2},
		{"partial, nothing before: what arrived", gbv1.CameraStatus{},
			&manscdp.Catalog{SumNum: 4, Items: renamed(2)}, []string{"ch1 renamed", "ch2 renamed"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.old
			applyQueryResult(&st, queryResult{catalog: tc.cat, catalogAt: t0})
			var names []string
			for _, ch := range st.Channels {
				names = append(names, ch.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.wantNames, ",") || st.ChannelCount != tc.wantCount {
				t.Fatalf("channels %v, count %d; want %v, %d", names, st.ChannelCount, tc.wantNames, tc.wantCount)
			}
			for _, ch := range st.Channels {
				if ch.Name == "ch3" && len(ch.Presets) != 1 {
					t.Errorf("kept channel lost its presets: %+v", ch)
				}
			}
			if st.CatalogUpdatedAt == nil || !st.CatalogUpdatedAt.Time.Equal(t0) {
				t.Errorf("catalogUpdatedAt %v, want %v", st.CatalogUpdatedAt, t0)
			}
		})
	}
}
