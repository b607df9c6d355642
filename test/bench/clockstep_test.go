package main

import (
	"strings"
	"testing"
	"time"
)

func TestStallStep(t *testing.T) {
	for _, tc := range []struct {
		step time.Duration
		want float64
	}{
		{0, 0},
		{50 * time.Millisecond, 0}, // NTP's slew over a long span
		{-999 * time.Millisecond, 0},
		{time.Second, 1},
		{17200 * time.Millisecond, 17.2},
		{-3 * time.Second, -3},
	} {
		if got := stallStep(tc.step); got != tc.want {
			t.Errorf("stallStep(%v) = %v, want %v", tc.step, got, tc.want)
		}
	}
}

func TestClockStepSinceWithoutStall(t *testing.T) {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	if s := clockStepSince(start); s != 0 {
		t.Errorf("clockStepSince() = %v s over 20 ms of a machine that did not stall", s)
	}
}

func TestCatchUpDisturbance(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    catchUp
		want []string // in the note, in order; none: no note
	}{
		{"undisturbed", catchUp{Cameras: 10000, Floor: &floorRun{}}, nil},
		{"the burst stalled", catchUp{Cameras: 10000, ClockStepSeconds: 17.2, Floor: &floorRun{}},
			[]string{"the 10000-camera burst: the wall clock moved 17.2 s ahead of the monotonic clock", "disturbed"}},
		{"the floor stalled", catchUp{Cameras: 1000, Floor: &floorRun{ClockStepSeconds: -3}},
			[]string{"the 1000-camera floor: the wall clock moved 3.0 s behind the monotonic clock"}},
		{"both", catchUp{Cameras: 50000, ClockStepSeconds: 2, Floor: &floorRun{ClockStepSeconds: 5}},
			[]string{"the 50000-camera burst", "; the 50000-camera floor"}},
		{"no floor", catchUp{Cameras: 10000, ClockStepSeconds: 4}, []string{"the 10000-camera burst"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.disturbance()
			if len(tc.want) == 0 {
				if got != "" {
					t.Fatalf("disturbance() = %q, want none", got)
				}
				return
			}
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("disturbance() = %q, want %q in it, after what came before", got, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
