package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// recordsAnswer collects the parts of the RecordInfo answer of sn until SumNum items
// came or a second passed without another part; it returns the parts in arrival order.
func recordsAnswer(t *testing.T, p *gbPlatform, sn int) []*manscdp.Message {
	t.Helper()
	var parts []*manscdp.Message
	items := 0
	for {
		in, ok := p.take(time.Second, isResponse("RecordInfo", sn))
		if !ok {
			if len(parts) == 0 {
				t.Fatal("no RecordInfo answer")
			}
			return parts
		}
		parts = append(parts, in.msg)
		items += len(in.msg.Records.Items)
		if items >= in.msg.Records.SumNum {
			return parts
		}
	}
}

// askRecords sends a RecordInfo query for channel over [from, to] of kind.
func askRecords(t *testing.T, p *gbPlatform, dev *sim.Device, channel string, from, to time.Time, kind string) int {
	t.Helper()
	sn := p.nextSN()
	body, err := manscdp.EncodeRecordInfoQuery(sn, manscdp.RecordQuery{DeviceID: channel, Start: from, End: to, Type: kind}, sim.ChinaStandardTime)
	if err != nil {
		t.Fatal(err)
	}
	p.message(dev, dev.ID(), body)
	return sn
}

// expectedSegments lists the starts of the segments of a schedule of seg-long
// recordings every period overlapping [from, to] and finished by now, counted by hand.
func expectedSegments(from, to, now time.Time, seg, period time.Duration) []time.Time {
	var out []time.Time
	for start := from.Add(-seg).Truncate(period); start.Before(to); start = start.Add(period) {
		if end := start.Add(seg); end.After(from) && !end.After(now) {
			out = append(out, start)
		}
	}
	return out
}

// TestRecordInfoInParts: a RecordInfo query is answered with every segment of the
// timeline in the range, in parts of Page items, each carrying SumNum; the Type narrows
// the answer; a channel the device lacks has no recordings. Over TCP, where no datagram
// limit splits the parts further.
func TestRecordInfoInParts(t *testing.T) {
	p := newGBPlatformOver(t, "tcp")
	const nvr = "34020000001180000001"
	seg, gap := 10*time.Minute, 5*time.Minute
	dev := newPlatformDevice(t, p, sim.Config{ID: nvr, Channels: 2, Charset: "utf-8",
		Records: sim.RecordConfig{Span: 6 * time.Hour, Segment: seg, Gap: gap, Page: 2}})
	ch := sim.ChannelID(nvr, 2, 1)
	now := time.Now().Truncate(time.Second)
	from, to := now.Add(-2*time.Hour), now

	parts := recordsAnswer(t, p, askRecords(t, p, dev, ch, from, to, manscdp.RecordAll))
	want := expectedSegments(from, to, now, seg, seg+gap)
	var got []time.Time
	for i, part := range parts {
		r := part.Records
		if r.SumNum != len(want) || len(r.Items) == 0 || len(r.Items) > 2 {
			t.Errorf("part %d: SumNum %d with %d items, want SumNum %d and 1-2 items", i, r.SumNum, len(r.Items), len(want))
		}
		for _, it := range r.Items {
			start := cst(t, it.StartTime)
			end := cst(t, it.EndTime)
			if it.DeviceID != ch || end.Sub(start) != seg || it.FileSize <= 0 || it.FilePath == "" || it.Name == "" {
				t.Errorf("item %+v", it)
			}
			wantType := manscdp.RecordTime
			if start.Unix()/int64((seg+gap)/time.Second)%4 == 3 {
				wantType = manscdp.RecordAlarm
			}
			if it.Type != wantType {
				t.Errorf("item at %s of type %s, want %s", it.StartTime, it.Type, wantType)
			}
			got = append(got, start)
		}
	}
	slices.SortFunc(got, func(a, b time.Time) int { return a.Compare(b) })
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("recordings start at %v, want %v", got, want)
	}
	if len(parts) != (len(want)+1)/2 {
		t.Errorf("%d parts for %d items, want them 2 a part", len(parts), len(want))
	}

	alarms := recordsAnswer(t, p, askRecords(t, p, dev, ch, from, to, manscdp.RecordAlarm))
	n := 0
	for _, part := range alarms {
		for _, it := range part.Records.Items {
			n++
			if it.Type != manscdp.RecordAlarm {
				t.Errorf("type %s in an answer for alarm recordings", it.Type)
			}
		}
	}
	if n == 0 || n >= len(want) {
		t.Errorf("%d alarm recordings of %d", n, len(want))
	}

	none := recordsAnswer(t, p, askRecords(t, p, dev, "34020000001310009999", from, to, manscdp.RecordAll))
	if len(none) != 1 || none[0].Records.SumNum != 0 || len(none[0].Records.Items) != 0 {
		t.Errorf("answer for an unknown channel: %+v", none[0].Records)
	}
}

// TestRecordInfoPartsOutOfOrder: Order reverse sends the last part first; DropPart
// leaves one part out, so the items that arrive fall short of SumNum.
func TestRecordInfoPartsOutOfOrder(t *testing.T) {
	p := newGBPlatform(t)
	base := sim.RecordConfig{Span: 6 * time.Hour, Segment: 10 * time.Minute, Gap: 5 * time.Minute, Page: 1}
	now := time.Now()
	from, to := now.Add(-time.Hour), now

	reversed := base
	reversed.Order = sim.RecordOrderReverse
	dev := newPlatformDevice(t, p, sim.Config{Records: reversed})
	parts := recordsAnswer(t, p, askRecords(t, p, dev, dev.ID(), from, to, manscdp.RecordAll))
	if len(parts) < 3 {
		t.Fatalf("%d parts, want several to order", len(parts))
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Records.Items[0].StartTime >= parts[i-1].Records.Items[0].StartTime {
			t.Errorf("part %d (%s) came after part %d (%s): not in reverse", i, parts[i].Records.Items[0].StartTime, i-1, parts[i-1].Records.Items[0].StartTime)
		}
	}

	p2 := newGBPlatform(t)
	dropped := base
	dropped.DropPart = 2
	dev2 := newPlatformDevice(t, p2, sim.Config{ID: "34020000001320000002", Records: dropped})
	parts = recordsAnswer(t, p2, askRecords(t, p2, dev2, dev2.ID(), from, to, manscdp.RecordAll))
	items := 0
	for _, part := range parts {
		items += len(part.Records.Items)
	}
	if sum := parts[0].Records.SumNum; items != sum-1 {
		t.Errorf("%d items of SumNum %d arrived, want one part (one item) missing", items, sum)
	}
}

// TestManualRecording: a RecordCmd Record then StopRecord leaves a manual recording of
// that length, which a query for manual recordings finds.
func TestManualRecording(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	p.control(dev, dev.ID(), manscdp.RecordStart)
	time.Sleep(1100 * time.Millisecond)
	p.control(dev, dev.ID(), manscdp.RecordStop)
	now := time.Now()
	parts := recordsAnswer(t, p, askRecords(t, p, dev, dev.ID(), now.Add(-time.Minute), now.Add(time.Second), manscdp.RecordManual))
	r := parts[0].Records
	if r.SumNum != 1 || len(r.Items) != 1 || r.Items[0].Type != manscdp.RecordManual {
		t.Fatalf("manual recordings %+v", r)
	}
	start := cst(t, r.Items[0].StartTime)
	end := cst(t, r.Items[0].EndTime)
	if d := end.Sub(start); d < time.Second || d > 3*time.Second {
		t.Errorf("manual recording of %v, want about 1s", d)
	}
}

// cst reads a MANSCDP time of the device, in China Standard Time.
func cst(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := manscdp.ParseTime(s, sim.ChinaStandardTime)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
