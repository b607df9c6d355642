package recording

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

var beijing = time.FixedZone("CST", 8*3600)

// at is 2026-12-03 at hh:mm, Beijing time.
func at(hh, mm int) time.Time { return time.Date(2026, 12, 3, hh, mm, 0, 0, beijing) }

func rawItem(path string, from, to time.Time) manscdp.RecordItem {
	return manscdp.RecordItem{DeviceID: "34020000001310000001", Name: "rec", FilePath: path,
		StartTime: manscdp.FormatTime(from, beijing), EndTime: manscdp.FormatTime(to, beijing), Type: "time", FileSize: 1 << 20}
}

func window(from, to time.Time) gbv1.TimeRange {
	return gbv1.TimeRange{Start: metav1.NewTime(from), End: metav1.NewTime(to)}
}

// TestAnswerItems: the device's items, in any order and some twice, come out once each
// in time order, their local times read in the device's zone; unreadable times are left
// out and counted; text too long for the schema is cut.
func TestAnswerItems(t *testing.T) {
	raw := []manscdp.RecordItem{
		rawItem("/c", at(10, 0), at(10, 30)),
		rawItem("/a", at(8, 0), at(8, 30)),
		rawItem("/b", at(9, 0), at(9, 30)),
		rawItem("/a", at(8, 0), at(8, 30)), // the same file again
		{DeviceID: "x", StartTime: "yesterday", EndTime: "today"},
		rawItem("/backwards", at(12, 0), at(11, 0)),
		rawItem(strings.Repeat("p", 400), at(7, 0), at(7, 10)),
	}
	items, unreadable := answerItems(raw, beijing)
	if unreadable != 2 {
		t.Errorf("%d unreadable, want 2", unreadable)
	}
	var paths []string
	for _, it := range items {
		paths = append(paths, it.FilePath[:min(len(it.FilePath), 2)])
	}
	if got := strings.Join(paths, " "); got != "pp /a /b /c" {
		t.Errorf("items in order %q, want pp /a /b /c", got)
	}
	if len(items[0].FilePath) != maxItemFilePath {
		t.Errorf("file path kept at %d bytes, schema bound %d", len(items[0].FilePath), maxItemFilePath)
	}
	if a := items[1]; !a.Start.Time.Equal(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)) || a.Size != 1<<20 || a.Type != "time" {
		t.Errorf("08:00 Beijing time read as %v (want 00:00 UTC), size %d, type %q", a.Start.UTC(), a.Size, a.Type)
	}
}

func TestCoverage(t *testing.T) {
	w := window(at(8, 0), at(14, 0))
	items, _ := answerItems([]manscdp.RecordItem{
		rawItem("/early", at(7, 30), at(8, 30)),  // clipped to the window's start
		rawItem("/touch", at(8, 30), at(9, 0)),   // touches: merged
		rawItem("/inside", at(8, 40), at(8, 50)), // inside: merged
		rawItem("/next", at(10, 0), at(11, 0)),
		rawItem("/overlap", at(10, 30), at(11, 30)),
		rawItem("/late", at(13, 0), at(15, 0)),  // clipped to the window's end
		rawItem("/after", at(15, 0), at(16, 0)), // outside
	}, beijing)
	cov := coverage(items, w)
	want := []gbv1.TimeRange{window(at(8, 0), at(9, 0)), window(at(10, 0), at(11, 30)), window(at(13, 0), at(14, 0))}
	if len(cov) != len(want) {
		t.Fatalf("coverage %v, want %v", cov, want)
	}
	for i := range want {
		if !cov[i].Start.Equal(&want[i].Start) || !cov[i].End.Equal(&want[i].End) {
			t.Errorf("span %d: %v-%v, want %v-%v", i, cov[i].Start, cov[i].End, want[i].Start, want[i].End)
		}
	}
	// 1h + 1h30m + 1h of 6h = 58%, in two gaps (9:00-10:00, 11:30-13:00).
	if got := coverageSummary(cov, w); got != "58% of 6h, 2 gaps" {
		t.Errorf("summary %q", got)
	}
}

func TestCoverageSummary(t *testing.T) {
	w := window(at(8, 0), at(9, 30))
	for _, tc := range []struct {
		cov  []gbv1.TimeRange
		want string
	}{
		{nil, "0% of 1h30m, 1 gap"},
		{[]gbv1.TimeRange{window(at(8, 0), at(9, 30))}, "100% of 1h30m, no gaps"},
		{[]gbv1.TimeRange{window(at(8, 0), at(9, 29))}, "98% of 1h30m, 1 gap"},
		{[]gbv1.TimeRange{window(at(8, 10), at(8, 20)), window(at(8, 30), at(9, 30))}, "77% of 1h30m, 2 gaps"},
		{[]gbv1.TimeRange{{Start: metav1.NewTime(at(8, 0)), End: metav1.NewTime(at(9, 30).Add(-time.Second))}}, "99% of 1h30m, 1 gap"},
	} {
		if got := coverageSummary(tc.cov, w); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.cov, got, tc.want)
		}
	}
	if got := shortDuration(90 * time.Second); got != "1m30s" {
		t.Errorf("shortDuration(90s) = %q", got)
	}
	if got := shortDuration(48 * time.Hour); got != "48h" {
		t.Errorf("shortDuration(48h) = %q", got)
	}
}
