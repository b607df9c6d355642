package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestCapacityArithmetic: each limit is its measured rate or size through the stated
// assumptions, and the capacity is the smallest of them.
func TestCapacityArithmetic(t *testing.T) {
	r := &results{
		Registrations: []registrationRun{{Devices: 10000, PerSecond: 3000, Seconds: 3}},
		APICatchUp:    []catchUp{{Cameras: 10000, Seconds: 47, Floor: &floorRun{Cameras: 10000, Seconds: 40, StatusBytes: 1900}}},
		Keepalives:    &keepaliveResult{PerSecond: 15000},
		Memory:        &memoryResult{Baseline: memory{RSSBytes: 32 << 20}, PerCameraBytes: 16 << 10},
		Steady:        &steadyWrites{PerCameraPer5Min: 0.3},
	}
	c := r.capacity()
	if c == nil {
		t.Fatal("no capacity from a full set of figures")
	}
	want := map[string]float64{
		"keepalives through the operator":               15000 * 0.5 * 60,         // 450,000
		"registrations after a site-wide outage":        3000 * 0.5 * 300,         // 450,000
		"status writes after a site-wide outage":        10000.0 / 50 * 0.5 * 300, // 30,000
		"complete statuses after an outage (the floor)": 10000.0 / 40 * 0.5 * 300, // 37,500
		"memory": (0.75*(512<<20) - (32 << 20)) / 16384, // 22,528
	}
	if len(c.Limits) != len(want) {
		t.Fatalf("limits %+v, want %d", c.Limits, len(want))
	}
	for _, l := range c.Limits {
		if w, ok := want[l.Name]; !ok || math.Abs(l.Cameras-w) > 0.5 {
			t.Errorf("%s: %.1f cameras, want %.1f (%s)", l.Name, l.Cameras, w, l.Arithmetic)
		}
	}
	if c.Cameras != 22528 {
		t.Errorf("capacity %d, want the memory limit 22528", c.Cameras)
	}
	if math.Abs(c.SteadyWritesPerSecondAt100k-100) > 1e-9 {
		t.Errorf("steady writes at 100k: %.2f/s, want 100000 × 0.3 / 300 = 100", c.SteadyWritesPerSecondAt100k)
	}
	var out bytes.Buffer
	c.print(&out)
	if !strings.Contains(out.String(), "per-shard capacity: 22528 cameras") || !strings.Contains(out.String(), "shards for 100,000 cameras: 5") {
		t.Errorf("printed:\n%s", out.String())
	}
}

func TestCapacityNeedsFigures(t *testing.T) {
	if c := (&results{}).capacity(); c != nil {
		t.Errorf("capacity from no figures: %+v", c)
	}
}

// TestCapacityFloorBinds: when the floor, which writes the complete statuses, is slower
// than the burst showed its Cameras Registered (an NVR fleet, whose catalogs came in
// later writes), the floor bounds the shard.
func TestCapacityFloorBinds(t *testing.T) {
	r := &results{
		Registrations: []registrationRun{{Devices: 2000, PerSecond: 5000, Seconds: 0.4}},
		APICatchUp:    []catchUp{{Cameras: 2000, Seconds: 9.6, Floor: &floorRun{Cameras: 2000, Seconds: 25, StatusBytes: 18500}}},
	}
	c := r.capacity()
	if c == nil {
		t.Fatal("no capacity")
	}
	if want := int(2000.0 / 25 * 0.5 * 300); c.Cameras != want {
		t.Errorf("capacity %d, want the floor's %d (limits %+v)", c.Cameras, want, c.Limits)
	}
}
