package main

import "testing"

func TestWriteCountsSince(t *testing.T) {
	before := writeCounts{Causes: map[string]float64{"state": 10, "device": 3, "liveness": 7}, Conflicts: 1}
	after := writeCounts{Causes: map[string]float64{"state": 110, "device": 23, "liveness": 7, "catalog": 20}, Conflicts: 4}
	got := after.since(before)
	want := "state 100, catalog 20, device 20, conflicts 3"
	if s := got.String(); s != want {
		t.Errorf("since(before) = %q, want %q", s, want)
	}
	if s := (writeCounts{}).String(); s != "conflicts 0" {
		t.Errorf("no writes = %q, want %q", s, "conflicts 0")
	}
}
