package recording

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What a RecordInfo answer becomes in status. The device's items arrive in no order,
// maybe twice (an NVR listing one file under two searches it merged), with local times
// without a zone; status lists each once, in time order, its times read in the device's
// zone and its text cut to what the schema allows. Beside them, the spans they cover
// within the searched span, merged where they touch, so that the gaps show.

// Bounds of an item's text, as the schema has them.
const (
	maxItemName     = 256
	maxItemFilePath = 256
	maxItemDeviceID = 64
	maxItemType     = 16
)

// answerItems turns the device's items into status items: times read in loc, text
// cleaned and cut, duplicates dropped, sorted by start, then end, then file path. An
// item whose times do not read, or that ends before it starts, is left out and counted
// in unreadable.
func answerItems(raw []manscdp.RecordItem, loc *time.Location) (items []gbv1.RecordingItem, unreadable int) {
	type key struct {
		deviceID, name, filePath, kind string
		start, end                     int64
	}
	seen := make(map[key]struct{}, len(raw))
	items = make([]gbv1.RecordingItem, 0, len(raw))
	for i := range raw {
		it := &raw[i]
		start, err1 := manscdp.ParseTime(it.StartTime, loc)
		end, err2 := manscdp.ParseTime(it.EndTime, loc)
		if err1 != nil || err2 != nil || end.Before(start) {
			unreadable++
			continue
		}
		item := gbv1.RecordingItem{
			Name:     devices.Clean(it.Name, maxItemName),
			FilePath: devices.Clean(it.FilePath, maxItemFilePath),
			DeviceID: devices.Clean(it.DeviceID, maxItemDeviceID),
			Start:    metav1.NewTime(start.Truncate(time.Second)),
			End:      metav1.NewTime(end.Truncate(time.Second)),
			Type:     devices.Clean(it.Type, maxItemType),
			Secrecy:  int32(min(max(it.Secrecy, 0), 1)),
			Size:     max(it.FileSize, 0),
		}
		k := key{item.DeviceID, item.Name, item.FilePath, item.Type, item.Start.Unix(), item.End.Unix()}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		items = append(items, item)
	}
	slices.SortFunc(items, func(a, b gbv1.RecordingItem) int {
		return cmp.Or(a.Start.Compare(b.Start.Time), a.End.Compare(b.End.Time), strings.Compare(a.FilePath, b.FilePath), strings.Compare(a.Name, b.Name))
	})
	return items, unreadable
}

// coverage merges the spans of items, sorted by start, clipped to window, where they
// touch or overlap.
func coverage(items []gbv1.RecordingItem, window gbv1.TimeRange) []gbv1.TimeRange {
	var out []gbv1.TimeRange
	for _, it := range items {
		start, end := later(it.Start.Time, window.Start.Time), earlier(it.End.Time, window.End.Time)
		if !start.Before(end) {
			continue // outside the window, or of no length
		}
		if n := len(out); n > 0 && !start.After(out[n-1].End.Time) {
			if end.After(out[n-1].End.Time) {
				out[n-1].End = metav1.NewTime(end)
			}
			continue
		}
		out = append(out, gbv1.TimeRange{Start: metav1.NewTime(start), End: metav1.NewTime(end)})
	}
	return out
}

// coverageSummary says how much of window cov covers and in how many gaps the rest
// lies: "87% of 6h, 3 gaps". The percentage is rounded down, so 100% means all of it.
func coverageSummary(cov []gbv1.TimeRange, window gbv1.TimeRange) string {
	span := window.End.Sub(window.Start.Time)
	if span <= 0 {
		return ""
	}
	var covered time.Duration
	gaps, cursor := 0, window.Start.Time
	for _, c := range cov {
		covered += c.End.Sub(c.Start.Time)
		if c.Start.After(cursor) {
			gaps++
		}
		cursor = c.End.Time
	}
	if cursor.Before(window.End.Time) {
		gaps++
	}
	gapText := "no gaps"
	switch {
	case gaps == 1:
		gapText = "1 gap"
	case gaps > 1:
		gapText = fmt.Sprintf("%d gaps", gaps)
	}
	return fmt.Sprintf("%d%% of %s, %s", int64(covered*100/span), shortDuration(span), gapText)
}

// shortDuration writes d without its zero minutes and seconds: 6h, 1h30m, 45m, 90s.
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
