// Command bench is what `make bench` runs: the figures of camera-operator, reproducible.
// It starts a local control plane (the binaries of `make dev`) and the operator binary as
// its own process, creates the Cameras with a fast client, then drives the operator's
// SIP registrar on 127.0.0.1 with camsim fleets, sipp (test/bench/sipp) and a lean
// keepalive generator, and reports registrations/s, REGISTER→200 latency, how long the
// API takes to show a registered fleet, a re-registration avalanche, keepalives/s, API
// writes in steady state, the operator's memory and the registrar's heap per binding.
// The figures are printed as tables and written as JSON (--out).
//
//	go run ./test/bench                          # full size: 1k and 10k cameras
//	go run ./test/bench --cameras 50000 --timeout 2h  # one shard's 50k (make bench-50k)
//	go run ./test/bench --cameras 500,2000       # a quick run
//
// Every load is bounded in count and time. Steady-state time is scaled down: the
// operator's --keepalive-status-interval and the devices' keepalive interval are divided
// by the same factor, and writes are scaled back to five minutes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// opts are the bench's flags.
type opts struct {
	sizes           []int
	out, work       string
	assets          string
	statusInterval  time.Duration
	steadyWindow    time.Duration
	kaConns         int
	kaWindow        int
	kaDuration      time.Duration
	avalancheSpread time.Duration
	sippRate        int
	sippLimit       int
	noSipp          bool
	burstsOnly      bool
	heapBindings    int
	goBench         bool
	endpoints       int
	workers         int
	// channels makes every simulated device an NVR with that many channels (0: IPCs).
	channels     int
	operatorArgs []string
	// recordMetrics, when set, is where the operator's metrics are recorded during the
	// live phases (record.go).
	recordMetrics string
	// productionLike runs the control plane alone on a core of its own (placement.go).
	productionLike bool

	// The subscriptions and alarms phase (events.go).
	events, eventsOnly         bool
	alarmInterval, alarmWindow time.Duration

	// The side-by-side comparison with Kamailio (compare.go), which runs alone.
	compareKamailio bool
	compareRates    []int
	// compareLeanRates continue the lean client's ladder above compareRates.
	compareLeanRates []int
	compareStep      time.Duration
	compareDevices   int
	// kamailioChildren is Kamailio's UDP worker processes.
	kamailioChildren int
	// compareStormRate is the rate of the comparison's first registration of every device.
	compareStormRate int
	// comparePprof, when set, is the operator's --pprof-bind-address in the comparison.
	comparePprof string
	// timeout bounds the whole run.
	timeout time.Duration
	// keepaliveLoad and avalanche run those phases of the largest size.
	keepaliveLoad, avalanche bool
}

func parseFlags(args []string) (opts, error) {
	var o opts
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("cameras", "1000,10000", "fleet sizes, comma-separated; the largest also runs the steady-state, keepalive, avalanche, restart and sipp loads")
	fs.StringVar(&o.out, "out", "bin/bench/results.json", "where to write the figures as JSON")
	fs.StringVar(&o.work, "work", "bin/bench", "directory of the built binaries, logs and the control plane's state (those of an earlier run are removed first)")
	fs.StringVar(&o.assets, "assets", "", "directory of kube-apiserver, etcd and kubectl (default: KUBEBUILDER_ASSETS or bin/k8s/...)")
	fs.DurationVar(&o.statusInterval, "status-interval", 30*time.Second, "the operator's --keepalive-status-interval; time is scaled by 5m over it")
	fs.DurationVar(&o.steadyWindow, "steady-window", 0, "how long API writes are counted in steady state (default 4 status intervals)")
	fs.IntVar(&o.kaConns, "keepalive-sockets", 4, "sockets of the keepalive load")
	fs.IntVar(&o.kaWindow, "keepalive-window", 256, "unanswered keepalives allowed per socket")
	fs.DurationVar(&o.kaDuration, "keepalive-duration", 10*time.Second, "how long the keepalive load runs")
	fs.DurationVar(&o.avalancheSpread, "avalanche-spread", 50*time.Second, "the avalanche's devices register at a steady rate over this window (0: all at once)")
	fs.IntVar(&o.sippRate, "sipp-rate", 50000, "sipp's call rate limit (calls/s)")
	fs.IntVar(&o.sippLimit, "sipp-concurrency", 1000, "sipp's limit of calls in progress")
	fs.BoolVar(&o.noSipp, "no-sipp", false, "skip the sipp load")
	fs.BoolVar(&o.productionLike, "production-like", false, "run kube-apiserver and etcd alone on core 0 and the operator, camsim and the bench on core 1, as a cluster keeps its control plane on cores of its own (placement.go)")
	fs.BoolVar(&o.burstsOnly, "bursts-only", false, "measure only the registration bursts and their API catch-up, every size alike (quick, for work on the status path)")
	fs.IntVar(&o.heapBindings, "heap-bindings", 0, "bindings of the in-process registrar heap measurement (default: the largest size)")
	fs.BoolVar(&o.goBench, "go-bench", true, "also run sipd's BenchmarkRegisterLoopback (the registrar alone, with a lean client) and BenchmarkRecordInfoAssembly")
	fs.BoolVar(&o.events, "events", true, "on the largest fleet, also measure subscriptions (API writes with a channel flap per camera per hour) and alarms/s (events.go)")
	fs.BoolVar(&o.eventsOnly, "events-only", false, "measure only the subscriptions and alarms phase, on the largest size (quick, for work on device events)")
	fs.DurationVar(&o.alarmInterval, "events-alarm-interval", 5*time.Second, "how often each device alarms in the alarm load")
	fs.DurationVar(&o.alarmWindow, "events-alarm-window", 30*time.Second, "how long the alarm load is measured")
	fs.IntVar(&o.endpoints, "endpoints", 64, "camsim's sockets per fleet")
	fs.IntVar(&o.workers, "workers", 256, "camsim's SIP exchanges in flight per fleet")
	fs.IntVar(&o.channels, "channels", 0, "make every simulated device an NVR with this many channels, each in its Camera's status (0: IPCs of one channel)")
	fs.StringVar(&o.recordMetrics, "record-metrics", "", "record the operator's /metrics every 2s of the live phases into this file, for hack/monitoring's render (make dashboard-picture)")
	fs.Func("operator-arg", "a further flag of the operator, such as --max-concurrent-reconciles=16 (repeatable)", func(v string) error {
		o.operatorArgs = append(o.operatorArgs, v)
		return nil
	})
	fs.BoolVar(&o.compareKamailio, "compare-kamailio", false, "instead of the rest, offer the same sipp REGISTER load alternately to Kamailio and to the operator's registrar at increasing rates, and compare (JSON in compare.json beside --out)")
	rates := fs.String("compare-rates", "2000,4000,8000,12000,16000", "offered REGISTER rates (calls/s) of the comparison, comma-separated")
	leanRates := fs.String("compare-lean-rates", "16000,24000,32000,48000", "rates (calls/s) above the last of --compare-rates at which the lean client goes on offering its load to the operator and Kamailio (production-like), until each is overloaded")
	fs.DurationVar(&o.compareStep, "compare-step", 3*time.Second, "how long each rate is offered to each target")
	fs.IntVar(&o.compareDevices, "compare-devices", 5000, "devices of the comparison; the calls cycle through them, so each registers again")
	fs.IntVar(&o.kamailioChildren, "kamailio-children", 8, "Kamailio's UDP worker processes (8, as its stock configuration; on 2 vCPUs 8 did better than 2 or 4)")
	fs.IntVar(&o.compareStormRate, "compare-storm-rate", 4000, "rate (calls/s) of the comparison's first registration of every device to the operator")
	fs.StringVar(&o.comparePprof, "compare-pprof", "", "the operator's --pprof-bind-address during the comparison (empty: off), for profiling it under the load")
	fs.BoolVar(&o.keepaliveLoad, "keepalive-load", true, "on the largest fleet, run the keepalive load (the devices register again from its sockets first)")
	fs.BoolVar(&o.avalanche, "avalanche", true, "on the largest fleet, run the avalanche and the operator's restart")
	fs.DurationVar(&o.timeout, "timeout", 45*time.Minute, "bound of the whole run (the full size takes about a quarter of an hour; 50k cameras about an hour)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.sizes, err = increasingInts("--cameras", *sizes, 100000); err != nil {
		return o, err
	}
	if o.compareRates, err = increasingInts("--compare-rates", *rates, 200000); err != nil {
		return o, err
	}
	if o.compareLeanRates, err = increasingInts("--compare-lean-rates", *leanRates, 200000); err != nil {
		return o, err
	}
	if o.compareStep < time.Second || o.compareStep > time.Minute {
		return o, errors.New("--compare-step must be between 1s and 1m")
	}
	if o.kamailioChildren < 1 || o.kamailioChildren > 64 {
		return o, errors.New("--kamailio-children must be between 1 and 64")
	}
	if o.compareStormRate < 1 || o.compareStormRate > 200000 {
		return o, errors.New("--compare-storm-rate must be between 1 and 200000")
	}
	if o.compareDevices < 1 || o.compareDevices > 100000 {
		return o, errors.New("--compare-devices must be between 1 and 100000")
	}
	if o.statusInterval < 5*time.Second || o.statusInterval > 5*time.Minute {
		return o, errors.New("--status-interval must be between 5s and 5m")
	}
	if o.steadyWindow <= 0 {
		o.steadyWindow = 4 * o.statusInterval
	}
	if o.alarmInterval < 100*time.Millisecond || o.alarmWindow < time.Second {
		return o, errors.New("--events-alarm-interval must be at least 100ms and --events-alarm-window at least 1s")
	}
	if o.channels < 0 || o.channels > gbv1.MaxChannels {
		return o, fmt.Errorf("--channels must be between 0 and %d, the channels a Camera's status holds", gbv1.MaxChannels)
	}
	if o.heapBindings <= 0 {
		o.heapBindings = o.sizes[len(o.sizes)-1]
	}
	return o, nil
}

// increasingInts parses a comma-separated list of increasing numbers from 1 to limit.
func increasingInts(name, list string, limit int) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 || n > limit {
			return nil, fmt.Errorf("%s: %q is not a number between 1 and %d", name, s, limit)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("%s: the numbers must increase", name)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty", name)
	}
	return out, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == serveRegistrarArg {
		os.Exit(serveRegistrarAlone(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == leanLoadArg {
		os.Exit(leanLoadMain(os.Args[2:]))
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.compareKamailio {
		os.Exit(compareMain(ctx, o))
	}
	// Bounded whatever happens.
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	r := &results{Command: commandLine(), Started: time.Now(), Machine: describeMachine(), Skipped: map[string]string{}}
	runErr := run(ctx, o, r)
	if runErr != nil {
		r.Errors = append(r.Errors, runErr.Error())
	}
	r.DurationSeconds = time.Since(r.Started).Seconds()
	r.Machine.LoadAverageEnd = loadAverage()
	r.judge()
	r.Capacity = r.capacity()
	r.print(os.Stdout)
	if err := r.write(o.out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\nfigures written to %s\n", o.out)
	if runErr != nil {
		os.Exit(1)
	}
}

// run measures everything, recording what it got in r even when a phase fails.
func run(ctx context.Context, o opts, r *results) error {
	b, err := newBench(o, r)
	if err != nil {
		return err
	}
	err = b.live(ctx)
	b.teardown()
	if ctx.Err() != nil {
		return errors.Join(err, ctx.Err())
	}
	// The rest runs in this process with the control plane gone, so the CPU is its own.
	slog.Info("measuring the registrar's heap per binding (in process)", "bindings", o.heapBindings)
	keepalivesAlone := func(kf *kaFleet) error {
		slog.Info("keepalive load on the registrar alone (in process)", "for", o.kaDuration)
		self0, _ := processCPU(os.Getpid())
		k, err := kf.load(ctx, o.kaWindow, o.kaDuration)
		self1, _ := processCPU(os.Getpid())
		k.GeneratorCPU = (self1 - self0) / o.kaDuration.Seconds() // registrar and generator together
		r.KeepalivesAlone = &k
		return err
	}
	if h, herr := measureRegistrarHeap(ctx, o.heapBindings, o.kaConns, "34020000001329000001", keepalivesAlone); herr != nil {
		err = errors.Join(err, fmt.Errorf("registrar heap and keepalives: %w", herr))
	} else {
		r.Heap = &h
	}
	if o.goBench {
		slog.Info("running sipd's BenchmarkRegisterLoopback")
		if g, gerr := runGoBench(ctx); gerr != nil {
			err = errors.Join(err, fmt.Errorf("go benchmark: %w", gerr))
		} else {
			r.GoBench = &g
		}
		slog.Info("running sipd's BenchmarkRecordInfoAssembly")
		if x, xerr := runRecordInfoBench(ctx); xerr != nil {
			err = errors.Join(err, fmt.Errorf("RecordInfo benchmark: %w", xerr))
		} else {
			r.RecordInfo = &x
		}
	}
	return err
}

// compareMain runs the side-by-side comparison alone, bounded to a few minutes.
func compareMain(ctx context.Context, o opts) int {
	// Five targets per rate, each step at most its sipp's bound; the control plane, the
	// Cameras, the storm and the overload step on top.
	bound := time.Duration(len(o.compareRates))*5*(o.compareStep+sippDrain+31*time.Second) + 15*time.Minute
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	work, err := filepath.Abs(o.work)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	res, runErr := runCompare(ctx, o, filepath.Join(work, "compare"))
	res.print(os.Stdout)
	// Beside the full run's results, not over them.
	out := filepath.Join(filepath.Dir(o.out), "compare.json")
	if err := writeJSON(out, res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Printf("\nfigures written to %s\n", out)
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "bench:", runErr)
		return 1
	}
	return 0
}
