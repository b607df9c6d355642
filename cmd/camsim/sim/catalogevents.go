package sim

import (
	"fmt"
	"time"

	"github.com/gb28181/camera-operator/sipd/gbid"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Catalog events. With Subscriptions.CatalogFlap the device's first channel goes OFF
// and comes back ON every other period; with CatalogChurn a channel is added in one
// period and removed in the next. Both are functions of time counted from the device's
// creation, so the catalog a query returns and the events a subscription's NOTIFY
// carries always agree, and a device that nobody subscribes to pays no timer for them:
// period k runs from born+k*N, and its boundary's event is
//
//	flap:  k odd → OFF, k even → ON     (channel 1)
//	churn: k odd → ADD, k even → DEL    (the added channel)

// catalogAt is the device's catalog at t, with flap and churn applied.
func (d *Device) catalogAt(t time.Time) []manscdp.CatalogItem {
	items := catalog(d.cfg)
	sc := d.cfg.Subscriptions
	if sc.CatalogFlap > 0 && d.period(sc.CatalogFlap, t)%2 == 1 {
		items[0].Status = "OFF"
	}
	if sc.CatalogChurn > 0 && d.period(sc.CatalogChurn, t)%2 == 1 {
		items = append(items, d.addedChannel())
	}
	return items
}

// period is the number of the period of length n that t falls in, counted from the
// device's creation.
func (d *Device) period(n time.Duration, t time.Time) int64 {
	since := t.UnixNano() - d.born
	if since < 0 {
		return 0
	}
	return since / int64(n)
}

// boundary is when period k of length n begins.
func (d *Device) boundary(n time.Duration, k int64) time.Time {
	return time.Unix(0, d.born+k*int64(n))
}

// flapEvent is the item of flap boundary k: the first channel, OFF or ON.
func (d *Device) flapEvent(k int64) manscdp.CatalogItem {
	item := catalog(d.cfg)[0]
	item.Status, item.Event = "ON", manscdp.EventOn
	if k%2 == 1 {
		item.Status, item.Event = "OFF", manscdp.EventOff
	}
	return item
}

// churnEvent is the item of churn boundary k: the added channel, ADD or DEL.
func (d *Device) churnEvent(k int64) manscdp.CatalogItem {
	item := d.addedChannel()
	item.Event = manscdp.EventDel
	if k%2 == 1 {
		item.Event = manscdp.EventAdd
	}
	return item
}

// addedChannel is the channel CatalogChurn adds: numbered after the device's channels,
// its ID is the device's with type 131 (camera) and network digit 9, which no
// ChannelID (network digit kept) of a fleet counted from a GB ID takes.
func (d *Device) addedChannel() manscdp.CatalogItem {
	n := max(d.cfg.Channels, 1)
	civil := ""
	if p, err := gbid.Parse(d.cfg.ID); err == nil {
		civil = p.Center[:6]
	}
	item := channelItem(d.cfg, addedChannelID(d.cfg.ID), n, civil)
	item.ParentID = d.cfg.ID
	return item
}

func addedChannelID(deviceID string) string {
	p, err := gbid.Parse(deviceID)
	if err != nil {
		return deviceID + "-added"
	}
	return fmt.Sprintf("%s%s1319%s", p.Center, p.Industry, p.Serial)
}

// channelIndex finds a channel by ID: its index in the catalog (an IPC's own ID is
// channel 0), or the index after the last for the added channel while it exists.
func (d *Device) channelIndex(id string) (int, bool) {
	if d.cfg.Channels == 0 && id == d.cfg.ID {
		return 0, true
	}
	if i, ok := channelNumber(d.cfg.ID, d.cfg.Channels, id); ok {
		return i, true
	}
	if sc := d.cfg.Subscriptions; sc.CatalogChurn > 0 && id == addedChannelID(d.cfg.ID) && d.period(sc.CatalogChurn, time.Now())%2 == 1 {
		return max(d.cfg.Channels, 1), true
	}
	return 0, false
}

// channelIDs are the IDs of the device's channels now (an IPC's is its own).
func (d *Device) channelIDs() []string {
	items := d.catalogAt(time.Now())
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.DeviceID
	}
	return ids
}
