package main

import (
	"fmt"
	"math"
	"time"
)

// A stall of the whole machine (a virtual machine paused, then resumed, as in a live
// migration) can step its wall clock away from its monotonic clock. The bench times its
// own spans on the monotonic clock, but a burst's last 200 OK comes from camsim's
// reports, in wall-clock time, so a step during a burst makes its catch-up after the
// last 200 and its catch-up from the burst's start disagree: once by 19 s, the catch-up
// "after the last 200" longer than the one from the burst's start. The bench finds
// such a step (clockStepSince), so that the report says the span was disturbed instead
// of printing figures that contradict each other.

// minClockStep is the smallest step reported. NTP slews the clock by at most 500 ppm,
// 0.3 s over the ten minutes of a 50,000-camera catch-up; a stall steps it by seconds.
const minClockStep = time.Second

// clockStepSince is how far, in seconds, the wall clock moved from the monotonic clock
// since start (positive when it ran ahead) when that is a stall's step, and 0 when it
// is not. start must hold a monotonic reading, as time.Now's do.
func clockStepSince(start time.Time) float64 {
	now := time.Now()
	// Round(0) strips the monotonic reading, so Sub compares wall-clock readings.
	return stallStep(now.Round(0).Sub(start.Round(0)) - now.Sub(start))
}

// stallStep is s in seconds when it is at least minClockStep either way, and 0 when
// it is not.
func stallStep(s time.Duration) float64 {
	if s.Abs() < minClockStep {
		return 0
	}
	return s.Seconds()
}

// clockStepNote is what the report says of a span whose clock stepped by seconds, or ""
// when it did not.
func clockStepNote(span string, seconds float64) string {
	if seconds == 0 {
		return ""
	}
	way := "ahead of"
	if seconds < 0 {
		way = "behind"
	}
	return fmt.Sprintf("%s: the wall clock moved %.1f s %s the monotonic clock (the machine stalled); its figures are disturbed",
		span, math.Abs(seconds), way)
}
