package sipd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// recordItems returns n recordings of channel, one every ten minutes from 08:00.
func recordItems(channel string, n int) []manscdp.RecordItem {
	items := make([]manscdp.RecordItem, n)
	day := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i := range items {
		start := day.Add(time.Duration(i) * 10 * time.Minute)
		items[i] = manscdp.RecordItem{
			DeviceID: channel, Name: "rec", FilePath: fmt.Sprintf("/rec/%04d.mp4", i),
			StartTime: manscdp.FormatTime(start, time.UTC), EndTime: manscdp.FormatTime(start.Add(9*time.Minute), time.UTC),
			Type: manscdp.RecordTime, FileSize: 1 << 20,
		}
	}
	return items
}

// TestQueryRecordInfo: a RecordInfo answer's parts are joined whatever their order and
// retransmissions; one that stops short ends partial with what arrived; the items
// past MaxRecordItems are not kept.
func TestQueryRecordInfo(t *testing.T) {
	const channel = "34020000001310000003"
	window := manscdp.RecordQuery{DeviceID: channel, Start: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)}
	cases := []struct {
		name     string
		cfg      sipd.Config
		items    int
		perPart  int
		send     func(parts [][]byte) [][]byte
		timeout  time.Duration
		wantErr  error
		wantKept int
	}{
		{"parts out of order, one twice", sipd.Config{}, 25, 4, func(p [][]byte) [][]byte {
			return [][]byte{p[6], p[2], p[0], p[2], p[1], p[5], p[3], p[4]}
		}, 10 * time.Second, nil, 25},
		{"no recordings", sipd.Config{}, 0, 4, nil, 10 * time.Second, nil, 0},
		{"a lost part", sipd.Config{}, 25, 4, func(p [][]byte) [][]byte { return append(p[:3:3], p[4:]...) }, time.Second, sipd.ErrPartialRecordInfo, 21},
		{"more than MaxRecordItems", sipd.Config{MaxRecordItems: 10}, 25, 4, nil, 10 * time.Second, sipd.ErrPartialRecordInfo, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, p := tortureServerWith(t, c.cfg)
			ctx, cancel := context.WithTimeout(testCtx(t), c.timeout)
			defer cancel()
			type outcome struct {
				r   *manscdp.RecordInfo
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				r, err := s.QueryRecordInfo(ctx, sipd.DeviceRef{ID: devID}, window, time.UTC)
				done <- outcome{r, err}
			}()
			q := deviceSide{responses: func(q *manscdp.Message) [][]byte {
				if q.RecordQuery == nil || q.RecordQuery.StartTime != "2026-12-03T08:00:00" || q.RecordQuery.Type != manscdp.RecordAll {
					t.Errorf("RecordInfo query %+v", q.RecordQuery)
				}
				parts, err := manscdp.EncodeRecordInfoParts(q.SN, channel, "NVR", recordItems(channel, c.items), c.perPart, "GB2312")
				if err != nil {
					t.Fatal(err)
				}
				if c.send != nil {
					return c.send(parts)
				}
				return parts
			}}.play(t, p)
			if q.DeviceID != channel {
				t.Errorf("query for %s, want the channel %s", q.DeviceID, channel)
			}
			got := <-done
			if !errors.Is(got.err, c.wantErr) || (c.wantErr == nil && got.err != nil) {
				t.Fatalf("error %v, want %v", got.err, c.wantErr)
			}
			if got.r == nil || got.r.SumNum != c.items || len(got.r.Items) != c.wantKept {
				t.Fatalf("answer %+v, want %d of %d items", got.r, c.wantKept, c.items)
			}
			seen := map[string]bool{}
			for _, it := range got.r.Items {
				if seen[it.FilePath] {
					t.Errorf("item %s twice", it.FilePath)
				}
				seen[it.FilePath] = true
			}
		})
	}
}
