package camera

import (
	"cmp"
	"slices"
	"strings"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd/gbid"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A channel's PTZ presets, in status.channels[].presets: asked with PresetQuery after
// each registration, and again when another controller changed them (PresetsChanged,
// after a CameraCommand set or deleted one). Only channels that can have presets are
// asked: cameras and IPCs by their GB type code (and IDs that are not GB IDs, which
// say nothing), not offline, at most Options.MaxPresetChannels of a device. A device
// without PTZ may answer nothing at all: the first channel that does not answer ends
// the round, and the device is not asked again until it registers again or is told.
// When told, the presets are asked at once and once more presetsSettle later: many
// devices answer a preset's DeviceControl before they store it, so the answer to the
// first PresetQuery may not show it yet.

// maxPresetNameLen bounds a preset's name, as the API declares it.
const maxPresetNameLen = 64

// presetsSettle is how long after PresetsChanged the presets are asked the second time:
// time enough for a device to store what it answered before storing.
const presetsSettle = 3 * time.Second

// canHavePresets reports whether a channel with this ID and catalog status may have presets.
func canHavePresets(id, status string) bool {
	if id == "" || strings.EqualFold(status, "OFF") || strings.EqualFold(status, "OFFLINE") {
		return false
	}
	p, err := gbid.Parse(id)
	if err != nil {
		return true // not a GB ID: its type is unknown
	}
	return p.Type == "131" || p.Type == "132" // Camera, IPC
}

// presetChannels are the channels of a status whose presets are asked, at most limit.
func presetChannels(channels []gbv1.Channel, limit int) []string {
	var ids []string
	for i := range channels {
		if len(ids) == limit {
			break
		}
		if canHavePresets(channels[i].ID, channels[i].Status) {
			ids = append(ids, channels[i].ID)
		}
	}
	return ids
}

// catalogPresetChannels are the channels of a catalog answer whose presets are asked,
// at most limit, in the order of the catalog.
func catalogPresetChannels(c *manscdp.Catalog, limit int) []string {
	var ids []string
	for _, it := range c.Items {
		if len(ids) == limit {
			break
		}
		id := devices.Clean(it.DeviceID, maxIDLen)
		if canHavePresets(id, it.Status) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// presetsFrom converts a PresetQuery answer: by index, each index once, within 1-255,
// names bounded.
func presetsFrom(items []manscdp.Preset) []gbv1.Preset {
	var out []gbv1.Preset
	for _, p := range items {
		if p.ID < 1 || p.ID > 255 || slices.ContainsFunc(out, func(q gbv1.Preset) bool { return int(q.Index) == p.ID }) {
			continue
		}
		out = append(out, gbv1.Preset{Index: int32(p.ID), Name: devices.Clean(p.Name, maxPresetNameLen)})
	}
	slices.SortFunc(out, func(a, b gbv1.Preset) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// applyPresets writes the presets of o's answers into st's channels. A catalog just
// received replaced the channels: their presets, asked earlier, are carried over.
func applyPresets(st *gbv1.CameraStatus, o *observation) {
	if o.query.catalog != nil {
		kept := map[string][]gbv1.Preset{}
		for _, ch := range o.old.Channels {
			if len(ch.Presets) > 0 {
				kept[ch.ID] = ch.Presets
			}
		}
		for i := range st.Channels {
			if p, ok := kept[st.Channels[i].ID]; ok && st.Channels[i].Presets == nil {
				st.Channels[i].Presets = slices.Clone(p)
			}
		}
	}
	d := o.query.detail
	if d == nil || d.presets == nil {
		return
	}
	for i := range st.Channels {
		if items, ok := d.presets[st.Channels[i].ID]; ok {
			st.Channels[i].Presets = presetsFrom(items)
		}
	}
}

// presetsChanged marks deviceID's presets to be asked again, now and presetsSettle
// later, and reports whether the querier knows the device: one it does not is asked
// after its next registration anyway.
func (q *querier) presetsChanged(deviceID string) bool {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.devices[deviceID]
	if s == nil {
		return false
	}
	s.detail.presetsWanted = true
	s.detail.presetsAgainAt = now.Add(presetsSettle)
	return true
}
