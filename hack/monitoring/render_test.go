package monitoring

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
)

// recordingOf writes n scrapes, every interval from start: Cameras registering one per
// scrape out of 20, REGISTERs answered at 10 per second, and a queue delay histogram.
func recordingOf(n int, start time.Time, interval time.Duration) string {
	var b strings.Builder
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		fmt.Fprintf(&b, "%s%d\n", scrapeMark, at.UnixMilli())
		registered := min(i, 20)
		b.WriteString("# TYPE camera_operator_cameras gauge\n")
		fmt.Fprintf(&b, "camera_operator_cameras{namespace=\"east\",shard=\"\",state=\"Registered\"} %d\n", registered)
		fmt.Fprintf(&b, "camera_operator_cameras{namespace=\"east\",shard=\"\",state=\"Pending\"} %d\n", 20-registered)
		b.WriteString("# TYPE sipd_registrations_total counter\n")
		fmt.Fprintf(&b, "sipd_registrations_total{result=\"registered\"} %g\n", 10*at.Sub(start).Seconds())
		b.WriteString("# TYPE sipd_udp_queue_delay_seconds histogram\n")
		fmt.Fprintf(&b, "sipd_udp_queue_delay_seconds_bucket{le=\"0.001\"} %d\n", 100*i)
		fmt.Fprintf(&b, "sipd_udp_queue_delay_seconds_bucket{le=\"+Inf\"} %d\n", 100*i)
		fmt.Fprintf(&b, "sipd_udp_queue_delay_seconds_sum %g\n", 0.0005*float64(100*i))
		fmt.Fprintf(&b, "sipd_udp_queue_delay_seconds_count %d\n", 100*i)
	}
	return b.String()
}

// TestRender: a recording loads into the TSDB with the target labels Prometheus would
// add; the dashboard's own queries give the values the recording holds (Cameras by
// state, the rate of registrations, a queue delay quantile); the picture is a PNG with
// a line of three panels per three of a row.
func TestRender(t *testing.T) {
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	rec, err := LoadRecording(strings.NewReader(recordingOf(40, start, 2*time.Second)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if rec.Interval != 2*time.Second || !rec.Start.Equal(start) {
		t.Fatalf("recording from %v every %v", rec.Start, rec.Interval)
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: time.Minute, LookbackDelta: time.Minute})
	last := func(title string) map[string]float64 {
		t.Helper()
		for _, r := range Rows {
			for _, p := range r.Panels {
				if p.Title != title {
					continue
				}
				lines, err := rec.evaluate(context.Background(), engine, p)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]float64{}
				for _, l := range lines {
					out[l.name] = l.points[len(l.points)-1].Y
				}
				return out
			}
		}
		t.Fatalf("no panel %q", title)
		return nil
	}
	if got := last("Cameras by state"); got["Registered"] != 20 || got["Pending"] != 0 {
		t.Errorf("Cameras by state at the end: %v, want 20 Registered", got)
	}
	if got := last("Registrations per second"); got["registered"] < 9.9 || got["registered"] > 10.1 {
		t.Errorf("registrations per second: %v, want 10", got)
	}
	if got := last("UDP queue delay"); got["p99"] <= 0 || got["p99"] > 0.001 {
		t.Errorf("UDP queue delay: %v, want a p99 within the first bucket", got)
	}

	var img bytes.Buffer
	if err := Render(context.Background(), rec, &img); err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(&img)
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, r := range Rows {
		lines += (len(r.Panels) + pictureColumns - 1) / pictureColumns
	}
	b := decoded.Bounds()
	want := float64(lines) * float64(panelTall) / (pictureColumns * float64(panelWidth))
	if got := float64(b.Dy()) / float64(b.Dx()); got < want*0.99 || got > want*1.01 {
		t.Errorf("picture %v (height/width %.3f) for %d lines of %d panels (want %.3f)", b, got, lines, pictureColumns, want)
	}
}

// TestLoadRecordingRefusesGarbage: a recording that is not one says why.
func TestLoadRecordingRefusesGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"empty":      "",
		"one scrape": scrapeMark + "1000\nup 1\n",
		"bad mark":   scrapeMark + "soon\nup 1\n",
		"bad body":   scrapeMark + "1000\nup{ 1\n" + scrapeMark + "2000\nup 1\n",
	} {
		if rec, err := LoadRecording(strings.NewReader(in), t.TempDir()); err == nil {
			rec.Close()
			t.Errorf("%s: loaded", name)
		}
	}
}
