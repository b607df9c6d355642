package gcsettings

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// Config is what the operator asks of the Go runtime.
type Config struct {
	// GCPercent is the GOGC to use when the environment sets none (negative: collection
	// off, as GOGC=off; never a default).
	GCPercent int
	// MemoryLimitRatio is the share of the container's memory limit (its cgroup's) made
	// the Go memory limit when the environment sets no GOMEMLIMIT; 0 sets none.
	MemoryLimitRatio float64
}

// Defaults are the operator's settings: a collection when the heap has grown half over
// what is live, and a soft limit of 90 % of the container's memory, which leaves room
// for what the Go heap does not hold (stacks, the binary, buffers of the kernel's).
var Defaults = Config{GCPercent: 50, MemoryLimitRatio: 0.9}

// Applied is what Apply set, for the log.
type Applied struct {
	GCPercent   int
	GCFromEnv   bool  // GOGC was set in the environment
	MemoryLimit int64 // bytes; math.MaxInt64 is none
	LimitSource string
}

// limitProvider is where the container's limit is read; a variable for tests.
var limitProvider memlimit.Provider = memlimit.FromCgroup

// Apply sets c in the runtime where the environment leaves it to the operator.
func Apply(c Config) (Applied, error) {
	var a Applied
	if v := os.Getenv("GOGC"); v != "" {
		a.GCFromEnv = true
		a.GCPercent = debug.SetGCPercent(-1)
		debug.SetGCPercent(a.GCPercent)
	} else {
		debug.SetGCPercent(c.GCPercent)
		a.GCPercent = c.GCPercent
	}
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		a.MemoryLimit, a.LimitSource = debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	case c.MemoryLimitRatio == 0:
		a.MemoryLimit, a.LimitSource = debug.SetMemoryLimit(-1), "none"
	case c.MemoryLimitRatio < 0 || c.MemoryLimitRatio > 1 || math.IsNaN(c.MemoryLimitRatio):
		return a, fmt.Errorf("memory limit ratio %v: not in (0, 1]", c.MemoryLimitRatio)
	default:
		limit, err := limitProvider()
		switch {
		case errors.Is(err, memlimit.ErrNoLimit):
			a.MemoryLimit, a.LimitSource = debug.SetMemoryLimit(-1), "none (the container has no memory limit)"
		case err != nil:
			// Not in a cgroup that says (not Linux, cgroups not mounted): run as Go does.
			a.MemoryLimit, a.LimitSource = debug.SetMemoryLimit(-1), "none ("+err.Error()+")"
		default:
			a.MemoryLimit = int64(float64(limit) * c.MemoryLimitRatio)
			debug.SetMemoryLimit(a.MemoryLimit)
			a.LimitSource = fmt.Sprintf("%.0f%% of the container's %d bytes", c.MemoryLimitRatio*100, limit)
		}
	}
	return a, nil
}

// LogValue makes Applied one structured log attribute.
func (a Applied) LogValue() slog.Value {
	limit := "none"
	if a.MemoryLimit != math.MaxInt64 {
		limit = fmt.Sprintf("%d MiB", a.MemoryLimit>>20)
	}
	return slog.GroupValue(
		slog.Int("gcPercent", a.GCPercent), slog.Bool("gcPercentFromGOGC", a.GCFromEnv),
		slog.String("memoryLimit", limit), slog.String("memoryLimitSource", a.LimitSource))
}
