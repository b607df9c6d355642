package camera

import (
	"cmp"
	"slices"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Bounds of device-supplied strings in status: a device must not be able to make a
// Camera too large to store, or the status write fail validation.
const (
	maxIDLen    = 64
	maxFieldLen = 256
)

// channelsFromCatalog turns a device's catalog into status channels: items without an ID
// dropped, duplicates (devices repeat items across response parts) merged, sorted by
// ID, at most gbv1.MaxChannels of them. count is the exact size of the catalog: the
// items received, or the number the device announced when that is larger (a partial
// catalog).
func channelsFromCatalog(c *manscdp.Catalog) (channels []gbv1.Channel, count int32) {
	if c == nil {
		return nil, 0
	}
	seen := make(map[string]struct{}, len(c.Items))
	for _, it := range c.Items {
		id := devices.Clean(it.DeviceID, maxIDLen)
		if id == "" {
			continue
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		channels = append(channels, channelFromItem(it))
	}
	slices.SortFunc(channels, func(a, b gbv1.Channel) int { return cmp.Compare(a.ID, b.ID) })
	count = clampInt32(int64(max(len(channels), c.SumNum)))
	if len(channels) > gbv1.MaxChannels {
		channels = channels[:gbv1.MaxChannels]
	}
	return channels, count
}

// deviceInfoFromManscdp converts a DeviceInfo answer, bounding its strings.
func deviceInfoFromManscdp(d *manscdp.DeviceInfo) *gbv1.DeviceInfo {
	if d == nil {
		return nil
	}
	return &gbv1.DeviceInfo{
		Name:         devices.Clean(d.DeviceName, maxFieldLen),
		Manufacturer: devices.Clean(d.Manufacturer, maxFieldLen),
		Model:        devices.Clean(d.Model, maxFieldLen),
		Firmware:     devices.Clean(d.Firmware, maxFieldLen),
		ChannelCount: clampInt32(int64(d.Channel)),
	}
}

// applyQueryResult writes the latest DeviceInfo and Catalog answers into st. Answers
// are kept in memory only; when there are none (this replica has not queried the device
// yet) the status keeps what an earlier query wrote.
func applyQueryResult(st *gbv1.CameraStatus, q queryResult) {
	if q.info != nil {
		st.DeviceInfo = deviceInfoFromManscdp(q.info)
	}
	if q.catalog != nil {
		channels, count := channelsFromCatalog(q.catalog)
		if len(q.catalog.Items) < q.catalog.SumNum {
			channels = keepChannelsNotAnswered(st.Channels, channels)
		}
		st.Channels, st.ChannelCount = channels, count
		t := toTime(q.catalogAt)
		st.CatalogUpdatedAt = &t
	}
}

// keepChannelsNotAnswered adds to received, the channels of a partial catalog, those of
// the status's channels it lacks: until the retry brings the whole catalog, a channel
// whose part did not arrive keeps what the status said of it instead of vanishing (a
// catalog refresh of a busy NVR, say). A complete catalog replaces the channels.
func keepChannelsNotAnswered(old, received []gbv1.Channel) []gbv1.Channel {
	if len(old) == 0 {
		return received
	}
	have := make(map[string]struct{}, len(received))
	for _, ch := range received {
		have[ch.ID] = struct{}{}
	}
	out := slices.Clone(received)
	for _, ch := range old {
		if _, ok := have[ch.ID]; !ok {
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(a, b gbv1.Channel) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(len(out), gbv1.MaxChannels)]
}
