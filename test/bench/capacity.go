package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// The assumptions that turn measured rates into the size of one shard (one operator
// process: a leader and its standbys). docs/scaling.md repeats them with the arithmetic.
const (
	// capacityHeadroom is the share of a measured maximum a shard is sized to use, so
	// that a burst (a site powering up) or a noisy neighbour does not push it over.
	capacityHeadroom = 0.5
	// gbKeepaliveSeconds is GB/T 28181's default keepalive interval (60 s).
	gbKeepaliveSeconds = 60
	// recoverySeconds is how long a whole shard may take to register again after a
	// power or network failure of every device, and to show it in the API.
	recoverySeconds = 300
	// memoryLimitBytes is the chart's default memory limit (512 MiB), of which
	// memoryLimitShare may be used by steady state (the rest is GC headroom).
	memoryLimitBytes  = 512 << 20
	memoryLimitShare  = 0.75
	fleetForAPIWrites = 100000
)

// shardCapacity is how many Cameras one shard serves, each limit computed from this
// run's figures and the assumptions above; the smallest limit is the capacity.
type shardCapacity struct {
	Limits []capacityLimit `json:"limits"`
	// Cameras is the smallest of the limits: the per-shard capacity.
	Cameras int `json:"cameras"`
	// SteadyWritesPerSecondAt100k is the API writes per second of a 100,000-camera fleet
	// at steady state, whatever the number of shards it is split into.
	SteadyWritesPerSecondAt100k float64 `json:"steady_writes_per_second_at_100k"`
}

// capacityLimit is one bound on a shard's size.
type capacityLimit struct {
	Name       string  `json:"name"`
	Measured   string  `json:"measured"`
	Arithmetic string  `json:"arithmetic"`
	Cameras    float64 `json:"cameras"`
}

// capacity computes the per-shard capacity from r's figures; nil when the run measured
// too little to bound it.
func (r *results) capacity() *shardCapacity {
	c := &shardCapacity{}
	add := func(name, measured, arithmetic string, cameras float64) {
		if cameras > 0 && !math.IsInf(cameras, 0) && !math.IsNaN(cameras) {
			c.Limits = append(c.Limits, capacityLimit{Name: name, Measured: measured, Arithmetic: arithmetic, Cameras: cameras})
		}
	}
	if k := r.Keepalives; k != nil && k.PerSecond > 0 {
		add("keepalives through the operator",
			fmt.Sprintf("%.0f/s", k.PerSecond),
			fmt.Sprintf("%.0f/s × %.0f%% × %d s interval", k.PerSecond, capacityHeadroom*100, gbKeepaliveSeconds),
			k.PerSecond*capacityHeadroom*gbKeepaliveSeconds)
	}
	if n := len(r.Registrations); n > 0 && r.Registrations[n-1].PerSecond > 0 {
		reg := r.Registrations[n-1].PerSecond
		add("registrations after a site-wide outage",
			fmt.Sprintf("%.0f/s", reg),
			fmt.Sprintf("%.0f/s × %.0f%% × %d s recovery", reg, capacityHeadroom*100, recoverySeconds),
			reg*capacityHeadroom*recoverySeconds)
	}
	if n := len(r.APICatchUp); n > 0 && len(r.Registrations) > 0 {
		cu, burst := r.APICatchUp[n-1], r.Registrations[len(r.Registrations)-1]
		if secs := burst.Seconds + cu.Seconds; secs > 0 {
			writes := float64(cu.Cameras) / secs
			add("status writes after a site-wide outage",
				fmt.Sprintf("%.0f Registered/s (%d in %.1f s)", writes, cu.Cameras, secs),
				fmt.Sprintf("%.0f/s × %.0f%% × %d s recovery", writes, capacityHeadroom*100, recoverySeconds),
				writes*capacityHeadroom*recoverySeconds)
		}
	}
	if n := len(r.APICatchUp); n > 0 {
		// A Camera that registers again after an outage is written with all it showed
		// before: its catalog too. A fleet's first burst may show its Cameras Registered
		// before their answers (an NVR's catalog comes later, in a write of its own), so
		// its rate can hide what a recovery's writes cost; the floor writes the complete
		// statuses, as fast as the API server takes them.
		if f := r.APICatchUp[n-1].Floor; f != nil && f.Seconds > 0 {
			writes := float64(f.Cameras) / f.Seconds
			add("complete statuses after an outage (the floor)",
				fmt.Sprintf("%.0f/s (%d of %.0f bytes in %.1f s)", writes, f.Cameras, f.StatusBytes, f.Seconds),
				fmt.Sprintf("%.0f/s × %.0f%% × %d s recovery", writes, capacityHeadroom*100, recoverySeconds),
				writes*capacityHeadroom*recoverySeconds)
		}
	}
	if m := r.Memory; m != nil && m.PerCameraBytes > 0 {
		budget := memoryLimitShare*memoryLimitBytes - float64(m.Baseline.RSSBytes)
		add("memory",
			fmt.Sprintf("%.1f KiB/camera over %s", m.PerCameraBytes/1024, mib(m.Baseline.RSSBytes)),
			fmt.Sprintf("(%.0f%% × 512 MiB − %s) / %.1f KiB", memoryLimitShare*100, mib(m.Baseline.RSSBytes), m.PerCameraBytes/1024),
			budget/m.PerCameraBytes)
	}
	if len(c.Limits) == 0 {
		return nil
	}
	least := c.Limits[0].Cameras
	for _, l := range c.Limits[1:] {
		least = math.Min(least, l.Cameras)
	}
	c.Cameras = int(least)
	if s := r.Steady; s != nil {
		c.SteadyWritesPerSecondAt100k = fleetForAPIWrites * s.PerCameraPer5Min / 300
	}
	return c
}

// print writes the capacity table.
func (c *shardCapacity) print(w io.Writer) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PER-SHARD LIMIT\tMEASURED\tARITHMETIC\tCAMERAS")
	for _, l := range c.Limits {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\n", l.Name, l.Measured, l.Arithmetic, l.Cameras)
	}
	tw.Flush()
	fmt.Fprintf(w, "per-shard capacity: %d cameras (the smallest limit); shards for 100,000 cameras: %d",
		c.Cameras, int(math.Ceil(float64(fleetForAPIWrites)/float64(max(c.Cameras, 1)))))
	if c.SteadyWritesPerSecondAt100k > 0 {
		fmt.Fprintf(w, "; steady-state API writes for 100,000 cameras: %.0f/s across all shards", c.SteadyWritesPerSecondAt100k)
	}
	fmt.Fprintln(w)
}
