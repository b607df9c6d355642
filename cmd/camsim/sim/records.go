package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Recordings. A device with Records.Span holds, for every channel, the recordings of a
// fixed schedule over the last Span of its clock: segments of Records.Segment separated
// by gaps of Records.Gap, aligned on the Unix epoch so that every query sees the same
// files (segment k covers [k*P, k*P+Segment) with P = Segment+Gap); one in four is an
// alarm recording, the others scheduled ("time"). Only segments wholly inside the span
// and already finished exist. Manual recordings (RecordCmd) are added as they are made.
// The timeline is a function of the clock: it costs nothing until queried.
//
// A RecordInfo query is answered with the segments of the channel that overlap its
// StartTime-EndTime, of its Type (all, time, alarm, manual), at most Records.MaxItems of
// them, in parts of Records.Page items, each carrying SumNum, as NVRs split their
// answers; Records.Order and Records.DropPart send the parts out of order or leave one
// out, to test how a platform joins them.

// RecordConfig configures a device's recordings.
type RecordConfig struct {
	// Span is how far back the device holds recordings (0: none; playback and download
	// then find nothing).
	Span time.Duration
	// Segment is the length of one recording (default 30m); Gap the pause between two
	// (default 0).
	Segment, Gap time.Duration
	// Page is the number of items per RecordInfo MESSAGE (default 8). Over UDP a part
	// is further split to fit sipgo's datagram limit (sip.UDPMTUSize).
	Page int
	// Order is the order the parts are sent in: "" or "in", "reverse", "shuffle".
	Order string
	// DropPart, when positive, leaves out part DropPart (from 1) of every answer that
	// has that many parts.
	DropPart int
	// MaxItems bounds the items of one answer (default 1000), as NVRs do.
	MaxItems int
}

// Orders of RecordConfig.Order.
const (
	RecordOrderIn      = "in"
	RecordOrderReverse = "reverse"
	RecordOrderShuffle = "shuffle"
)

func (c *RecordConfig) setDefaults() error {
	if c.Span < 0 || c.Segment < 0 || c.Gap < 0 || c.Page < 0 || c.DropPart < 0 || c.MaxItems < 0 {
		return fmt.Errorf("sim: negative recording setting in %+v", *c)
	}
	if c.Segment == 0 {
		c.Segment = 30 * time.Minute
	}
	if c.Segment < time.Second {
		return fmt.Errorf("sim: recording segment %v shorter than a second", c.Segment)
	}
	c.Segment, c.Gap = c.Segment.Truncate(time.Second), c.Gap.Truncate(time.Second)
	if c.Page == 0 {
		c.Page = 8
	}
	if c.MaxItems == 0 {
		c.MaxItems = 1000
	}
	switch strings.ToLower(c.Order) {
	case "", RecordOrderIn:
		c.Order = RecordOrderIn
	case RecordOrderReverse, RecordOrderShuffle:
		c.Order = strings.ToLower(c.Order)
	default:
		return fmt.Errorf("sim: record part order %q (in, reverse or shuffle)", c.Order)
	}
	return nil
}

// recordSpan is one recording of a channel ("" for a manual recording of every
// channel); a manual recording still running has a zero end.
type recordSpan struct {
	channel    string
	start, end time.Time
	kind       string
}

// segmentsBetween lists the scheduled segments of c that overlap [from, to] at
// device time now, in time order, at most limit of them.
func (c RecordConfig) segmentsBetween(from, to, now time.Time, limit int) []recordSpan {
	if c.Span <= 0 || !from.Before(to) {
		return nil
	}
	oldest := now.Add(-c.Span)
	lo, hi := max(from.Unix(), oldest.Unix()), min(to.Unix(), now.Unix())
	seg, period := int64(c.Segment/time.Second), int64((c.Segment+c.Gap)/time.Second)
	var out []recordSpan
	for k := floorDiv(lo-seg, period); k*period < hi && len(out) < limit; k++ {
		start, end := k*period, k*period+seg
		if start < oldest.Unix() || end > now.Unix() || end <= lo || start >= hi {
			continue
		}
		kind := manscdp.RecordTime
		if k%4 == 3 {
			kind = manscdp.RecordAlarm
		}
		out = append(out, recordSpan{start: time.Unix(start, 0), end: time.Unix(end, 0), kind: kind})
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// recordings lists channel's recordings of kind ("" or all for any) overlapping
// [from, to], in time order, at most Records.MaxItems.
func (d *Device) recordings(channel, kind string, from, to time.Time) []recordSpan {
	if _, ok := d.channelIndex(channel); !ok {
		return nil
	}
	now := d.now()
	limit := d.cfg.Records.MaxItems
	var out []recordSpan
	for _, s := range d.cfg.Records.segmentsBetween(from, to, now, limit) {
		if kind == "" || kind == manscdp.RecordAll || kind == s.kind {
			out = append(out, s)
		}
	}
	if kind == "" || kind == manscdp.RecordAll || kind == manscdp.RecordManual {
		out = append(out, d.manualRecordings(channel, from, to, now)...)
		slices.SortStableFunc(out, func(a, b recordSpan) int { return a.start.Compare(b.start) })
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// manualRecordings lists the manual recordings of channel overlapping [from, to], the
// one running ending now.
func (d *Device) manualRecordings(channel string, from, to, now time.Time) []recordSpan {
	st := d.stateIfAny()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []recordSpan
	for _, m := range st.manual {
		if m.channel != channel && m.channel != d.cfg.ID {
			continue
		}
		if m.end.IsZero() {
			m.end = now
		}
		if m.end.After(from) && m.start.Before(to) {
			out = append(out, recordSpan{start: m.start, end: m.end, kind: manscdp.RecordManual})
		}
	}
	return out
}

// hasRecording reports whether channel has any recording overlapping [from, to].
func (d *Device) hasRecording(channel string, from, to time.Time) bool {
	return len(d.recordings(channel, manscdp.RecordAll, from, to)) > 0
}

// clipBytesPerSecond is the test clip's bit rate, which sizes the simulated files.
func clipBytesPerSecond() int64 {
	return int64(len(clip)) * int64(time.Second) / int64(frameInterval*time.Duration(max(len(clipFrames()), 1)))
}

// recordItem is the RecordInfo item of one recording of channel.
func (d *Device) recordItem(channel string, r recordSpan) manscdp.RecordItem {
	i, _ := d.channelIndex(channel)
	loc := d.cfg.Location
	return manscdp.RecordItem{
		DeviceID:  channel,
		Name:      channelName(i),
		FilePath:  path.Join("/record", channel, r.start.In(loc).Format("20060102150405")+".ps"),
		Address:   channelAddress(i),
		StartTime: manscdp.FormatTime(r.start, loc),
		EndTime:   manscdp.FormatTime(r.end, loc),
		Type:      r.kind,
		FileSize:  int64(r.end.Sub(r.start)/time.Second) * clipBytesPerSecond(),
	}
}

// answerRecordInfo answers a RecordInfo query in parts. A query whose times do not read
// gets an empty answer (SumNum 0), as an NVR finding nothing gives.
func (d *Device) answerRecordInfo(ctx context.Context, m *manscdp.Message) error {
	q := m.RecordQuery
	channel := m.DeviceID
	var items []manscdp.RecordItem
	if q != nil {
		from, errFrom := manscdp.ParseTime(q.StartTime, d.cfg.Location)
		to, errTo := manscdp.ParseTime(q.EndTime, d.cfg.Location)
		if errFrom != nil || errTo != nil {
			d.log.Info("RecordInfo query with unreadable times", "start", q.StartTime, "end", q.EndTime)
		} else {
			for _, r := range d.recordings(channel, q.Type, from, to) {
				items = append(items, d.recordItem(channel, r))
			}
		}
	}
	i, _ := d.channelIndex(channel)
	parts, err := d.recordParts(m.SN, channel, channelName(i), items)
	if err != nil {
		return err
	}
	for _, part := range d.orderParts(parts) {
		if err := d.sendMessage(ctx, part); err != nil {
			return err
		}
	}
	return nil
}

// recordParts encodes the answer in parts of Records.Page items, fewer over UDP when a
// part would not fit a datagram.
func (d *Device) recordParts(sn int, channel, name string, items []manscdp.RecordItem) ([][]byte, error) {
	for page := d.cfg.Records.Page; ; page = (page + 1) / 2 {
		parts, err := manscdp.EncodeRecordInfoParts(sn, channel, name, items, page, d.cfg.Charset)
		if err != nil || page == 1 || d.ep.transport != "UDP" {
			return parts, err
		}
		fits := true
		for _, p := range parts {
			if len(p)+headerAllowance > sip.UDPMTUSize-200 {
				fits = false
				break
			}
		}
		if fits {
			return parts, nil
		}
	}
}

// orderParts applies Records.Order and Records.DropPart.
func (d *Device) orderParts(parts [][]byte) [][]byte {
	rc := d.cfg.Records
	if rc.DropPart > 0 && rc.DropPart <= len(parts) {
		parts = slices.Delete(slices.Clone(parts), rc.DropPart-1, rc.DropPart)
	}
	switch rc.Order {
	case RecordOrderReverse:
		parts = slices.Clone(parts)
		slices.Reverse(parts)
	case RecordOrderShuffle:
		parts = slices.Clone(parts)
		rand.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	}
	return parts
}
