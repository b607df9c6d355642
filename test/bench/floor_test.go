package main

import "testing"

func TestFloorRatio(t *testing.T) {
	for _, tc := range []struct {
		name             string
		c                catchUp
		ratio, fromBurst float64
	}{
		{"as fast as the floor", catchUp{Seconds: 10, FromBurstSeconds: 12, Floor: &floorRun{Seconds: 10}}, 1, 10.0 / 12},
		{"half the floor's speed", catchUp{Seconds: 20, FromBurstSeconds: 25, Floor: &floorRun{Seconds: 10}}, 0.5, 0.4},
		{"caught up at once", catchUp{Seconds: 0.01, FromBurstSeconds: 3, Floor: &floorRun{Seconds: 10}}, 99, 10.0 / 3},
		{"no floor", catchUp{Seconds: 10, FromBurstSeconds: 12}, 0, 0},
		{"no catch-up measured", catchUp{Floor: &floorRun{Seconds: 10}}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ratio, whole := tc.c.floorRatio()
			if ratio != tc.ratio || whole != tc.fromBurst {
				t.Errorf("floorRatio() = %v, %v; want %v, %v", ratio, whole, tc.ratio, tc.fromBurst)
			}
		})
	}
}
