package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// results is everything `make bench` measured, as written to results.json.
type results struct {
	Command         string    `json:"command"`
	Started         time.Time `json:"started"`
	DurationSeconds float64   `json:"duration_seconds"`
	Machine         machine   `json:"machine"`
	Settings        settings  `json:"settings"`
	Setup           setup     `json:"setup"`

	// Registrations are the camsim bursts, one per size: every device registers at
	// once (256 exchanges in flight) and stays registered.
	Registrations []registrationRun `json:"registrations"`
	// APICatchUp is, per size, the time from the last 200 OK of the burst until every
	// Camera of the size showed Registered in the API.
	APICatchUp []catchUp     `json:"api_catch_up"`
	Steady     *steadyWrites `json:"steady_state_writes,omitempty"`
	// SteadyStatusOnly is the same steady state with liveness in the status alone
	// (--liveness-leases=false), measured right after.
	SteadyStatusOnly *steadyWrites    `json:"steady_state_writes_status_only,omitempty"`
	Keepalives       *keepaliveResult `json:"keepalives,omitempty"`
	// KeepalivesAloneProcess is the same load on the registrar alone in a process of its
	// own, alternating with Keepalives round by round while the control plane and the
	// fleet run: the operator's figure is compared with it.
	KeepalivesAloneProcess *keepaliveResult `json:"keepalives_registrar_alone_process,omitempty"`
	// KeepalivesAlone is the same load on the registrar alone, in the bench's process
	// after everything else stopped (its CPU figure is the registrar's and the
	// generator's together): the registrar's ceiling on an idle machine.
	KeepalivesAlone *keepaliveResult `json:"keepalives_registrar_alone,omitempty"`
	Avalanche       *avalancheResult `json:"avalanche,omitempty"`
	Restart         *restartResult   `json:"operator_restart,omitempty"`
	Sipp            *sippResult      `json:"sipp,omitempty"`
	Memory          *memoryResult    `json:"memory,omitempty"`
	Heap            *heapResult      `json:"registrar_heap,omitempty"`
	GoBench         *goBenchResult   `json:"go_benchmark,omitempty"`
	Targets         []target         `json:"targets"`
	// Capacity is one shard's size computed from these figures (capacity.go).
	Capacity *shardCapacity    `json:"shard_capacity,omitempty"`
	Skipped  map[string]string `json:"skipped,omitempty"`
	Errors   []string          `json:"errors,omitempty"`

	// RecordInfo is sipd's RecordInfo assembly benchmark (recordinfo.go).
	RecordInfo *recordInfoResult `json:"recordinfo_assembly,omitempty"`
	// Events are the subscriptions and alarms phase (events.go).
	Events *eventsResult `json:"events,omitempty"`
}

// settings are the knobs of the run.
type settings struct {
	Sizes []int `json:"sizes"`
	// StatusInterval is the operator's --keepalive-status-interval during the run;
	// Scale is 5m over it: the run's time is scaled down by Scale, and device keepalive
	// intervals with it (DeviceKeepalive, 60 s / Scale).
	StatusInterval  string  `json:"keepalive_status_interval"`
	Scale           float64 `json:"time_scale"`
	DeviceKeepalive string  `json:"device_keepalive_interval"`
	Endpoints       int     `json:"camsim_endpoints"`
	Workers         int     `json:"camsim_workers"`
	// Placement says where the processes ran (placement.go).
	Placement string `json:"placement"`
	// Channels is the channels of each simulated NVR (--channels); 0: IPCs of one.
	Channels int `json:"nvr_channels,omitempty"`
}

// setup times the preparation.
type setup struct {
	OperatorReadySeconds float64 `json:"operator_ready_seconds"`
	Cameras              int     `json:"cameras"`
	CreateSeconds        float64 `json:"create_cameras_seconds"`
	// InitialStatusSeconds is how long after creation every Camera had a status
	// (Pending) written by the operator.
	InitialStatusSeconds float64 `json:"initial_status_seconds"`
}

// registrationRun is one camsim burst.
type registrationRun struct {
	Driver     string           `json:"driver"`
	Transport  string           `json:"transport"`
	Devices    int              `json:"devices"`
	Registered int64            `json:"registered"`
	Failed     int64            `json:"failed"`
	Failures   map[string]int64 `json:"failures_by_status,omitempty"`
	PerSecond  float64          `json:"registrations_per_second"`
	Seconds    float64          `json:"seconds"`
	LatencyMs  latency          `json:"latency_ms"`
	// OperatorCPU and CamsimCPU are the cores each used during the burst: on a shared
	// machine the load generator's share is CPU the registrar did not get.
	OperatorCPU float64 `json:"operator_cpu_cores"`
	CamsimCPU   float64 `json:"camsim_cpu_cores"`
}

type catchUp struct {
	Cameras int     `json:"cameras"`
	Seconds float64 `json:"seconds"`
	// CameraWrites and EventWrites are the write requests the API server counted from
	// the start of the burst until every Camera showed Registered.
	CameraWrites float64 `json:"camera_write_requests"`
	EventWrites  float64 `json:"event_write_requests"`
	// FromBurstSeconds is from the burst's start until every Camera showed Registered.
	FromBurstSeconds float64 `json:"from_burst_seconds"`
	// HalfSeconds is from the burst's start until half the Cameras showed Registered:
	// the median Camera's wait.
	HalfSeconds float64 `json:"half_from_burst_seconds"`
	// APICPUPerWriteMs is the API server's CPU over the same span, per write counted.
	APICPUPerWriteMs float64 `json:"apiserver_cpu_ms_per_write"`
	// MaxBacklog is the Camera controller's largest workqueue depth seen meanwhile.
	MaxBacklog float64 `json:"max_reconcile_queue_depth"`
	// Memory is the operator's with the size registered (its cache holds every Camera
	// of the run's largest size).
	Memory      memory  `json:"operator_memory"`
	LoadAverage float64 `json:"load_average"`
	// Floor is the same statuses written by a minimal client right after (floor.go).
	Floor *floorRun `json:"floor,omitempty"`
	// Writes are the operator's Camera status writes meanwhile, by cause
	// (writecauses.go).
	Writes *writeCounts `json:"operator_status_writes,omitempty"`
	// Settled is the burst's whole cost: from its start until the operator's
	// workqueue was empty and it wrote no more (writecauses.go). The floor runs after.
	Settled *settled `json:"settled,omitempty"`
	// ClockStepSeconds is how far the wall clock moved from the monotonic clock from
	// the burst's start until every Camera showed Registered, when the machine stalled
	// (clockstep.go); 0 when it did not.
	ClockStepSeconds float64 `json:"clock_step_seconds,omitempty"`
}

// disturbance is what the report says of a burst or its floor timed across a stall of
// the machine, or "" when neither was.
func (c catchUp) disturbance() string {
	var notes []string
	if n := clockStepNote(fmt.Sprintf("the %d-camera burst", c.Cameras), c.ClockStepSeconds); n != "" {
		notes = append(notes, n)
	}
	if c.Floor != nil {
		if n := clockStepNote(fmt.Sprintf("the %d-camera floor", c.Cameras), c.Floor.ClockStepSeconds); n != "" {
			notes = append(notes, n)
		}
	}
	return strings.Join(notes, "; ")
}

// floorRatio is the operator's speed showing the fleet Registered as a share of the
// floor's: the floor's seconds over the operator's catch-up after the last 200 OK, and
// over the operator's whole span from the burst's start.
func (c catchUp) floorRatio() (catchUpRatio, fromBurstRatio float64) {
	if c.Floor == nil || c.Seconds <= 0 || c.FromBurstSeconds <= 0 {
		return 0, 0
	}
	return min(c.Floor.Seconds/c.Seconds, 99), c.Floor.Seconds / c.FromBurstSeconds
}

// steadyWrites counts the API writes of a registered fleet keeping alive.
type steadyWrites struct {
	Cameras       int     `json:"cameras"`
	WindowSeconds float64 `json:"window_seconds"`
	// CameraWrites and EventWrites are write requests counted by the API server
	// (apiserver_request_total), Modified the Camera changes seen by a watch.
	CameraWrites float64 `json:"camera_write_requests"`
	EventWrites  float64 `json:"event_write_requests"`
	// LeaseWrites are the renewals of the Cameras' liveness Leases (and the leader
	// election's few).
	LeaseWrites float64 `json:"lease_write_requests"`
	Modified    int64   `json:"camera_modifications"`
	// PerCameraPer5Min scales the write requests (Cameras, Leases and Events) to one
	// Camera and five minutes of unscaled time.
	PerCameraPer5Min float64 `json:"writes_per_camera_per_5min"`
	// APIServerCPU is the API server's CPU in the window, and APIServerMsPerCameraPer5Min
	// the same scaled to one Camera and five minutes of unscaled time: what keeping a
	// fleet's liveness costs it.
	APIServerCPU                float64 `json:"apiserver_cpu_cores"`
	APIServerMsPerCameraPer5Min float64 `json:"apiserver_cpu_ms_per_camera_per_5min"`
	// APIServerMsPerWrite is the API server's CPU in the window over the write requests
	// (Cameras, Leases and Events), its idle work included. The fleet registered at once
	// keeps alive in step, so its liveness records come in waves an interval and a
	// keepalive or so apart, and a window holds a whole number of them: per write, the
	// cost does not depend on how many fell in.
	APIServerMsPerWrite float64 `json:"apiserver_cpu_ms_per_write"`
	OperatorCPU         float64 `json:"operator_cpu_cores"`
	LoadAverage         float64 `json:"load_average"`
	KeepalivesPerSec    float64 `json:"device_keepalives_per_second"`
}

// avalancheResult is every device registering again within the window.
type avalancheResult struct {
	Devices       int              `json:"devices"`
	SpreadSeconds float64          `json:"spread_seconds"`
	Registered    int64            `json:"registered"`
	Failed        int64            `json:"failed"`
	Failures      map[string]int64 `json:"failures_by_status,omitempty"`
	// AllRegisteredSeconds runs from the first REGISTER to the last 200;
	// APIRegisteredSeconds from the first REGISTER until every Camera showed it.
	AllRegisteredSeconds float64 `json:"all_registered_seconds"`
	APIRegisteredSeconds float64 `json:"api_registered_seconds"`
	LatencyMs            latency `json:"latency_ms"`
}

// restartResult is the operator killed (SIGKILL) and restarted under a registered fleet.
type restartResult struct {
	Devices         int     `json:"devices"`
	ReadySeconds    float64 `json:"ready_seconds"`
	ObservedSeconds float64 `json:"observed_seconds"`
	KeepalivesOK    int64   `json:"keepalives_ok"`
	// KeepalivesFailed are keepalives refused or unanswered; ReRegistrations devices made
	// to register again; both should be 0.
	KeepalivesFailed int64   `json:"keepalives_failed"`
	ReRegistrations  int64   `json:"re_registrations"`
	RegisterFailed   int64   `json:"register_failed"`
	WritesCaused     float64 `json:"api_writes"`
	AllRegistered    bool    `json:"all_cameras_registered_after"`
}

type memoryResult struct {
	Cameras  int    `json:"cameras"`
	Baseline memory `json:"baseline"`
	// Created is with the Cameras in the cache, none registered; Registered with all
	// of them registered and keeping alive (steady state).
	Created    memory `json:"cameras_created"`
	Registered memory `json:"registered"`
	// PerCameraBytes is (Registered − Baseline) RSS over Cameras.
	PerCameraBytes float64 `json:"rss_per_camera_bytes"`
	// UnrelatedSecrets is with 100 Secrets of 900 KB that no Camera names added to the
	// empty operator's cluster (measured right after Baseline).
	UnrelatedSecrets *memory `json:"unrelated_secrets,omitempty"`
}

type goBenchResult struct {
	Command   string  `json:"command"`
	PerSecond float64 `json:"registrations_per_second"`
	Output    string  `json:"output"`
}

// target is one line of the table against the targets.
type target struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	Note     string `json:"note,omitempty"`
}

func (r *results) write(path string) error { return writeJSON(path, r) }

// writeJSON writes v as indented JSON to path, creating its directory.
func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// print writes the figures as tables.
func (r *results) print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "\ncamera-operator bench: %d CPUs (%s), %.1f GiB, Linux %s, %s; load average %.1f → %.1f; %s\n",
		m.CPUs, m.Model, float64(m.MemoryBytes)/(1<<30), m.Kernel, m.GoVersion, m.LoadAverageStart, m.LoadAverageEnd,
		(time.Duration(r.DurationSeconds) * time.Second).String())
	fmt.Fprintf(w, "command: %s\n\n", r.Command)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tWANTED\tMEASURED\tMET\tNOTE")
	for _, t := range r.Targets {
		met := "yes"
		if !t.Met {
			met = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Target, t.Measured, met, t.Note)
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGISTRATIONS\tDEVICES\tOK\tFAILED\tREG/S\tP50 MS\tP99 MS\tCPU OPERATOR/LOAD\tAPI CATCH-UP")
	for i, run := range r.Registrations {
		cu := "-"
		if i < len(r.APICatchUp) {
			c := r.APICatchUp[i]
			cu = fmt.Sprintf("%.1fs (%.0f Camera, %.0f Event writes)", c.Seconds, c.CameraWrites, c.EventWrites)
		}
		fmt.Fprintf(tw, "%s %s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f/%.2f\t%s\n", run.Driver, run.Transport, run.Devices,
			run.Registered, run.Failed, run.PerSecond, run.LatencyMs.P50, run.LatencyMs.P99, run.OperatorCPU, run.CamsimCPU, cu)
	}
	if s := r.Sipp; s != nil {
		fmt.Fprintf(tw, "sipp UDP\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.2f/%.2f\t(%d retransmissions)\n", s.Calls, s.Successful, s.Failed,
			s.PerSecond, s.LatencyMs.P50, s.LatencyMs.P99, s.OperatorCPU, s.SippCPU, s.Retransmissions)
	}
	if g := r.GoBench; g != nil {
		fmt.Fprintf(tw, "registrar alone (go test -bench)\t\t\t\t%.0f\t\t\t\t\n", g.PerSecond)
	}
	tw.Flush()

	fmt.Fprintln(w)
	r.printFloor(w)
	r.printWriteCauses(w)
	for _, st := range []struct {
		name string
		s    *steadyWrites
	}{{"steady state", r.Steady}, {"steady state, liveness in the status alone", r.SteadyStatusOnly}} {
		if s := st.s; s != nil {
			fmt.Fprintf(w, "%s: %d cameras, %.0fs window: %.0f Camera writes, %.0f Lease writes, %.0f Event writes, %d modifications → %.2f writes/camera/5 min (scaled ×%.0f); API server %.2f cores, %.2f ms/write, %.2f ms/camera/5 min; operator %.2f cores; load %.1f\n",
				st.name, s.Cameras, s.WindowSeconds, s.CameraWrites, s.LeaseWrites, s.EventWrites, s.Modified, s.PerCameraPer5Min, r.Settings.Scale,
				s.APIServerCPU, s.APIServerMsPerWrite, s.APIServerMsPerCameraPer5Min, s.OperatorCPU, s.LoadAverage)
		}
	}
	if k := r.Keepalives; k != nil {
		fmt.Fprintf(w, "keepalives: %.0f/s answered 200 (%d sent, %d lost, refused %v) over %d sockets × %d in flight; operator %.2f cores, generator %.2f cores\n",
			k.PerSecond, k.Sent, k.Lost, k.Refused, k.Connections, k.Window, k.OperatorCPU, k.GeneratorCPU)
	}
	if k := r.KeepalivesAloneProcess; k != nil {
		fmt.Fprintf(w, "keepalives, registrar alone (own process, %s, alternating with the operator, rounds %s/s against the operator's %s/s): %.0f/s answered 200 (%d lost, refused %v); registrar %.2f cores, generator %.2f cores\n",
			gcSetting(k.GCPercent), rates(k.RoundsPerSecond), rates(r.Keepalives.RoundsPerSecond), k.PerSecond, k.Lost, k.Refused, k.OperatorCPU, k.GeneratorCPU)
	}
	if k := r.KeepalivesAlone; k != nil {
		fmt.Fprintf(w, "keepalives, registrar alone (in the bench's process, everything else stopped): %.0f/s answered 200 (%d lost, refused %v); registrar and generator %.2f cores\n",
			k.PerSecond, k.Lost, k.Refused, k.GeneratorCPU)
	}
	if a := r.Avalanche; a != nil {
		fmt.Fprintf(w, "avalanche: %d devices over %.0fs: %d ok, %d failed %v; all 200 after %.1fs, all Registered in the API after %.1fs\n",
			a.Devices, a.SpreadSeconds, a.Registered, a.Failed, a.Failures, a.AllRegisteredSeconds, a.APIRegisteredSeconds)
	}
	if x := r.Restart; x != nil {
		fmt.Fprintf(w, "operator kill -9 and restart with %d registered: ready in %.1fs; over %.0fs: %d keepalives ok, %d failed, %d re-registrations (%d failed), %.0f API writes\n",
			x.Devices, x.ReadySeconds, x.ObservedSeconds, x.KeepalivesOK, x.KeepalivesFailed, x.ReRegistrations, x.RegisterFailed, x.WritesCaused)
	}
	if mem := r.Memory; mem != nil {
		fmt.Fprintf(w, "operator memory: RSS %s empty, %s with %d Cameras, %s with all registered (peak %s); %.1f KiB per camera; Go heap in use %s; GOGC %.0f\n",
			mib(mem.Baseline.RSSBytes), mib(mem.Created.RSSBytes), mem.Cameras, mib(mem.Registered.RSSBytes), mib(mem.Registered.PeakRSSBytes),
			mem.PerCameraBytes/1024, mib(mem.Registered.HeapInuseBytes), mem.Registered.GCPercent)
		if u := mem.UnrelatedSecrets; u != nil {
			fmt.Fprintf(w, "unrelated Secrets: %d of %d KB in another namespace moved the empty operator's RSS from %s to %s (%+.1f MiB)\n",
				unrelatedSecrets, unrelatedSecretBytes/1000, mib(mem.Baseline.RSSBytes), mib(u.RSSBytes),
				(float64(u.RSSBytes)-float64(mem.Baseline.RSSBytes))/(1<<20))
		}
	}
	if h := r.Heap; h != nil {
		fmt.Fprintf(w, "registrar heap: %.0f bytes per binding (%d bindings)\n", h.BytesPerBinding, h.Bindings)
	}
	if x := r.RecordInfo; x != nil {
		x.print(w)
	}
	if r.Events != nil {
		r.Events.print(w, r.Settings.Scale)
	}
	if r.Capacity != nil {
		r.Capacity.print(w)
	}
	for k, v := range r.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", k, v)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// rates formats per-second figures.
func rates(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.0f", f)
	}
	return strings.Join(parts, ", ")
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// judge fills Targets from the figures.
func (r *results) judge() {
	var ts []target
	add := func(name, want, measured string, met bool, note string) {
		ts = append(ts, target{Name: name, Target: want, Measured: measured, Met: met, Note: note})
	}
	if n := len(r.Registrations); n > 0 {
		run := r.Registrations[n-1]
		add(fmt.Sprintf("registrations/s, camsim, %d devices", run.Devices), "≥ 12000, 0 failures",
			fmt.Sprintf("%.0f, %d failures", run.PerSecond, run.Failed), run.PerSecond >= 12000 && run.Failed == 0,
			fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", run.LatencyMs.P50, run.LatencyMs.P99))
	}
	if s := r.Sipp; s != nil {
		add(fmt.Sprintf("registrations/s, sipp, %d devices", s.Calls), "≥ 12000, 0 failures",
			fmt.Sprintf("%.0f, %d failures", s.PerSecond, s.Failed), s.PerSecond >= 12000 && s.Failed == 0,
			fmt.Sprintf("p50 %.0f ms, p99 %.0f ms, %d retransmissions", s.LatencyMs.P50, s.LatencyMs.P99, s.Retransmissions))
	}
	if k := r.Keepalives; k != nil {
		lostOrRefused := k.Lost
		for _, n := range k.Refused {
			lostOrRefused += n
		}
		add("keepalives/s answered", "≥ 50000", fmt.Sprintf("%.0f", k.PerSecond), k.PerSecond >= 50000,
			fmt.Sprintf("%d lost or refused", lostOrRefused))
	}
	if k, a := r.Keepalives, r.KeepalivesAloneProcess; k != nil && a != nil && a.PerSecond > 0 {
		ratio := k.PerSecond / a.PerSecond
		add("keepalives/s through the operator vs the registrar alone", "≥ 95 %",
			fmt.Sprintf("%.0f %% (%.0f vs %.0f)", ratio*100, k.PerSecond, a.PerSecond), ratio >= 0.95,
			"both one process, "+gcSetting(a.GCPercent)+", alternating rounds, same run")
	}
	for _, c := range r.APICatchUp {
		add(fmt.Sprintf("%d Cameras Registered after the last 200", c.Cameras), "≤ 30 s", fmt.Sprintf("%.1f s", c.Seconds), c.Seconds <= 30, c.disturbance())
		if c.Floor != nil {
			ratio, whole := c.floorRatio()
			note := fmt.Sprintf("floor %.1f s, catch-up %.1f s; from the burst's start %.1f s (%.2f); load %.1f", c.Floor.Seconds, c.Seconds, c.FromBurstSeconds, whole, c.LoadAverage)
			if d := c.disturbance(); d != "" {
				note += "; " + d
			}
			add(fmt.Sprintf("%d Cameras: speed vs the API server's floor", c.Cameras), "≥ 0.9", fmt.Sprintf("%.2f", ratio), ratio >= 0.9, note)
		}
	}
	if s := r.Steady; s != nil {
		add("API writes per camera per 5 min", "≤ 1", fmt.Sprintf("%.2f", s.PerCameraPer5Min), s.PerCameraPer5Min <= 1,
			fmt.Sprintf("%d cameras, time scaled ×%.0f", s.Cameras, r.Settings.Scale))
		if old := r.SteadyStatusOnly; old != nil && old.APIServerMsPerCameraPer5Min > 0 {
			ratio := s.APIServerMsPerCameraPer5Min / old.APIServerMsPerCameraPer5Min
			perWrite := s.APIServerMsPerWrite / old.APIServerMsPerWrite
			add("API server CPU per liveness write, Lease / status alone (steady state, same run)", "≤ 0.5", fmt.Sprintf("%.2f", perWrite), perWrite <= 0.5,
				fmt.Sprintf("%.2f / %.2f ms per write; per camera per 5 min %.2f / %.2f ms (%.2f), writes %.0f Camera + %.0f Lease / %.0f Camera",
					s.APIServerMsPerWrite, old.APIServerMsPerWrite, s.APIServerMsPerCameraPer5Min, old.APIServerMsPerCameraPer5Min, ratio,
					s.CameraWrites, s.LeaseWrites, old.CameraWrites))
		}
	}
	if m := r.Memory; m != nil && m.Registered.RSSBytes > 0 {
		rss := float64(m.Registered.RSSBytes)
		measured, met := fmt.Sprintf("%.0f MB", rss/1e6), rss <= 150e6
		if m.Cameras < 10000 {
			projected := float64(m.Baseline.RSSBytes) + m.PerCameraBytes*10000
			measured += fmt.Sprintf(" (%.0f MB projected at 10k)", projected/1e6)
			met = projected <= 150e6
		}
		add(fmt.Sprintf("operator RSS at %d cameras", m.Cameras), "≤ 150 MB at 10k", measured, met,
			fmt.Sprintf("%.1f KiB per camera, peak %.0f MB", m.PerCameraBytes/1024, float64(m.Registered.PeakRSSBytes)/1e6))
	}
	if a := r.Avalanche; a != nil {
		add(fmt.Sprintf("avalanche: %d re-register within 60 s", a.Devices), "0 failures, all within 60 s",
			fmt.Sprintf("%d failures, %.1f s", a.Failed, a.AllRegisteredSeconds), a.Failed == 0 && a.AllRegisteredSeconds <= 60, "")
	}
	if x := r.Restart; x != nil {
		add(fmt.Sprintf("operator restart under %d devices", x.Devices), "0 keepalive failures, 0 re-registrations",
			fmt.Sprintf("%d failures, %d re-registrations", x.KeepalivesFailed, x.ReRegistrations), x.KeepalivesFailed == 0 && x.ReRegistrations == 0, "")
	}
	if r.Events != nil {
		r.Events.judge(add, r.Settings.Scale)
	}
	r.Targets = ts
}

// commandLine is how the bench was invoked, for the record.
func commandLine() string {
	return strings.Join(append([]string{"go run ./test/bench"}, os.Args[1:]...), " ")
}

// gcSetting says at which GOGC the registrar alone ran, the operator's, or that the
// results do not say (an older bench's).
func gcSetting(gcPercent int) string {
	switch {
	case gcPercent == 0:
		return "GOGC unrecorded"
	case gcPercent < 0:
		return "GOGC off as the operator's"
	}
	return fmt.Sprintf("GOGC %d as the operator's", gcPercent)
}
