package camera

import (
	"cmp"
	"slices"
	"sync"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A catalog subscription's NOTIFYs change status.channels in place: each item carries
// its Event, and
//
//	ON, OFF, VLOST, DEFECT   the channel's status becomes the event (a channel not in
//	                         the status yet is added with it)
//	ADD, UPDATE              the channel is added, or its fields replaced (its presets
//	                         kept)
//	DEL                      the channel is removed
//
// and channelCount follows what is added and removed. The changes of a device wait in
// a table here until a reconcile writes them (channelTable), one entry per channel, the
// latest change winning (a status event after an ADD or UPDATE keeps their fields), so
// that any number of NOTIFYs before a worker takes the device cost one status write. A
// device has at most gbv1.MaxChannels channels waiting; more are dropped and counted
// (camera_operator_channel_events_dropped_total), and the next catalog refresh brings
// the status back in line.

// channelChange is the pending change of one channel.
type channelChange struct {
	event   string
	channel gbv1.Channel
	// at is when it arrived, seq its order among the device's changes.
	at  time.Time
	seq uint64
}

// isStatusEvent reports whether e changes only a channel's status.
func isStatusEvent(e string) bool {
	switch e {
	case manscdp.EventOn, manscdp.EventOff, manscdp.EventVLost, manscdp.EventDefect:
		return true
	}
	return false
}

// changeFromItem is the change a NOTIFY's item makes; false for an item without an ID
// or an event this controller does not know.
func changeFromItem(it manscdp.CatalogItem, at time.Time) (channelChange, bool) {
	ch := channelFromItem(it)
	if ch.ID == "" {
		return channelChange{}, false
	}
	switch it.Event {
	case manscdp.EventOn, manscdp.EventOff, manscdp.EventVLost, manscdp.EventDefect:
		ch.Status = it.Event
	case manscdp.EventAdd, manscdp.EventUpdate, manscdp.EventDel:
	default:
		return channelChange{}, false
	}
	return channelChange{event: it.Event, channel: ch, at: at}, true
}

// channelFromItem is a catalog item as a status channel, its strings bounded.
func channelFromItem(it manscdp.CatalogItem) gbv1.Channel {
	return gbv1.Channel{
		ID:           devices.Clean(it.DeviceID, maxIDLen),
		Name:         devices.Clean(it.Name, maxFieldLen),
		Status:       devices.Clean(it.Status, maxFieldLen),
		Manufacturer: devices.Clean(it.Manufacturer, maxFieldLen),
		Model:        devices.Clean(it.Model, maxFieldLen),
		ParentID:     devices.Clean(it.ParentID, maxIDLen),
		CivilCode:    devices.Clean(it.CivilCode, maxFieldLen),
		Address:      devices.Clean(it.Address, maxFieldLen),
	}
}

// merged is next after prev for the same channel: next, except that a status event
// after an ADD or UPDATE keeps their fields, and an ADD or UPDATE without a status after
// a status event keeps that status.
func merged(prev, next channelChange) channelChange {
	switch {
	case isStatusEvent(next.event) && (prev.event == manscdp.EventAdd || prev.event == manscdp.EventUpdate):
		prev.channel.Status, prev.at, prev.seq = next.channel.Status, next.at, next.seq
		return prev
	case isStatusEvent(prev.event) && next.event != manscdp.EventDel && next.channel.Status == "":
		next.channel.Status = prev.channel.Status
	}
	return next
}

// applyChannelChanges applies changes to st's channels in their order, skipping those
// that arrived before notAfter (a catalog answer received later already holds them).
func applyChannelChanges(st *gbv1.CameraStatus, changes []channelChange, notAfter time.Time) {
	for _, c := range changes {
		if c.at.Before(notAfter) {
			continue
		}
		i, found := slices.BinarySearchFunc(st.Channels, c.channel.ID, func(ch gbv1.Channel, id string) int { return cmp.Compare(ch.ID, id) })
		switch {
		case c.event == manscdp.EventDel:
			if found {
				st.Channels = slices.Delete(st.Channels, i, i+1)
				st.ChannelCount = max(st.ChannelCount-1, 0)
			}
		case found && isStatusEvent(c.event):
			st.Channels[i].Status = c.channel.Status
		case found:
			presets, status := st.Channels[i].Presets, st.Channels[i].Status
			st.Channels[i] = c.channel
			st.Channels[i].Presets = presets
			if c.channel.Status == "" {
				st.Channels[i].Status = status
			}
		default:
			if len(st.Channels) < gbv1.MaxChannels {
				st.Channels = slices.Insert(st.Channels, i, c.channel)
			}
			st.ChannelCount = max(st.ChannelCount+1, int32(len(st.Channels)))
		}
	}
	if len(st.Channels) == 0 {
		st.Channels = nil
	}
}

// channelTable holds the channel changes of each device not yet written.
type channelTable struct {
	mu      sync.Mutex
	devices map[string]*deviceChannels
}

// deviceChannels are one device's pending changes, by channel ID.
type deviceChannels struct {
	owner   string
	seq     uint64
	changes map[string]channelChange
}

func newChannelTable() *channelTable {
	return &channelTable{devices: make(map[string]*deviceChannels)}
}

// add records the changes of a catalog NOTIFY of deviceID, through owner's binding,
// and reports whether any was recorded.
func (t *channelTable) add(deviceID, owner string, items []manscdp.CatalogItem, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devices[deviceID]
	if d == nil || d.owner != owner {
		d = &deviceChannels{owner: owner, changes: make(map[string]channelChange)}
		t.devices[deviceID] = d
	}
	added := false
	for _, it := range items {
		c, ok := changeFromItem(it, at)
		if !ok {
			continue
		}
		d.seq++
		c.seq = d.seq
		prev, had := d.changes[c.channel.ID]
		if !had && len(d.changes) >= gbv1.MaxChannels {
			channelEventsDropped.Inc()
			continue
		}
		if had {
			c = merged(prev, c)
		}
		d.changes[c.channel.ID] = c
		added = true
	}
	if len(d.changes) == 0 {
		delete(t.devices, deviceID)
	}
	return added
}

// pending returns deviceID's changes through owner's binding, in their order.
func (t *channelTable) pending(deviceID, owner string) []channelChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devices[deviceID]
	if d == nil || d.owner != owner || len(d.changes) == 0 {
		return nil
	}
	out := make([]channelChange, 0, len(d.changes))
	for _, c := range d.changes {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b channelChange) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// consumed releases the changes written with a status: those of written, unless a
// later change of the same channel arrived since.
func (t *channelTable) consumed(deviceID string, written []channelChange) {
	if len(written) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devices[deviceID]
	if d == nil {
		return
	}
	for _, w := range written {
		if c, ok := d.changes[w.channel.ID]; ok && c.seq == w.seq {
			delete(d.changes, w.channel.ID)
		}
	}
	if len(d.changes) == 0 {
		delete(t.devices, deviceID)
	}
}

// forget drops deviceID's changes.
func (t *channelTable) forget(deviceID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.devices, deviceID)
}
