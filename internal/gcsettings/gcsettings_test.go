package gcsettings

import (
	"errors"
	"math"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// current reads the runtime's GOGC and memory limit without changing them.
func current() (gcPercent int, limit int64) {
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	return gcPercent, debug.SetMemoryLimit(-1)
}

// TestApply: the operator's settings reach the runtime unless the environment sets
// GOGC or GOMEMLIMIT, and the memory limit is the given share of the container's.
func TestApply(t *testing.T) {
	const containerLimit = 512 << 20
	fromCgroup := func() (uint64, error) { return containerLimit, nil }
	noLimit := func() (uint64, error) { return 0, memlimit.ErrNoLimit }
	noCgroup := func() (uint64, error) { return 0, errors.New("cgroups are not mounted") }
	for _, tt := range []struct {
		name          string
		env           map[string]string
		config        Config
		provider      memlimit.Provider
		wantGC        int
		wantGCFromEnv bool
		wantLimit     int64 // -1: left as it was
		wantErr       bool
	}{
		{name: "defaults in a limited container", config: Defaults, provider: fromCgroup,
			wantGC: Defaults.GCPercent, wantLimit: int64(float64(containerLimit) * Defaults.MemoryLimitRatio)},
		{name: "GOGC in the environment wins", env: map[string]string{"GOGC": "80"}, config: Config{GCPercent: 50, MemoryLimitRatio: 0.5}, provider: fromCgroup,
			wantGC: 80, wantGCFromEnv: true, wantLimit: containerLimit / 2},
		{name: "GOMEMLIMIT in the environment wins", env: map[string]string{"GOMEMLIMIT": "100MiB"}, config: Defaults, provider: fromCgroup,
			wantGC: 50, wantLimit: -1},
		{name: "ratio 0 sets no limit", config: Config{GCPercent: 70}, provider: fromCgroup,
			wantGC: 70, wantLimit: -1},
		{name: "a container without a limit", config: Defaults, provider: noLimit,
			wantGC: 50, wantLimit: -1},
		{name: "no cgroup to read", config: Defaults, provider: noCgroup,
			wantGC: 50, wantLimit: -1},
		{name: "ratio over 1", config: Config{GCPercent: 50, MemoryLimitRatio: 1.5}, provider: fromCgroup,
			wantGC: 50, wantLimit: -1, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gc0, limit0 := current()
			t.Cleanup(func() {
				debug.SetGCPercent(gc0)
				debug.SetMemoryLimit(limit0)
			})
			t.Setenv("GOGC", "")
			t.Setenv("GOMEMLIMIT", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if v := tt.env["GOGC"]; v != "" {
				debug.SetGCPercent(80) // as the runtime does at start from GOGC=80
			}
			// A limit unlike any the cases set, to see whether Apply left it.
			const before = 3 << 30
			debug.SetMemoryLimit(before)
			provider := limitProvider
			limitProvider = tt.provider
			defer func() { limitProvider = provider }()

			a, err := Apply(tt.config)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			gc, limit := current()
			if gc != tt.wantGC || a.GCPercent != tt.wantGC || a.GCFromEnv != tt.wantGCFromEnv {
				t.Errorf("GOGC %d (reported %d, from env %v), want %d (from env %v)", gc, a.GCPercent, a.GCFromEnv, tt.wantGC, tt.wantGCFromEnv)
			}
			want := tt.wantLimit
			if want == -1 {
				want = before
			}
			if limit != want {
				t.Errorf("memory limit %d, want %d", limit, want)
			}
			if !tt.wantErr && a.MemoryLimit != want {
				t.Errorf("reported memory limit %d, want %d", a.MemoryLimit, want)
			}
		})
	}
	if Defaults.GCPercent <= 0 || Defaults.GCPercent > 100 || Defaults.MemoryLimitRatio <= 0 || Defaults.MemoryLimitRatio >= 1 || math.IsNaN(Defaults.MemoryLimitRatio) {
		t.Errorf("defaults %+v: a registrar wants a GOGC in (0, 100] and a limit below the container's", Defaults)
	}
}
