package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/localcluster"
)

const (
	benchNS     = "bench"
	secretName  = "bench-credentials"
	password    = "bench-Pa55word"
	firstDevice = "34020000001320000001"
	// firstNVR is the first device of a fleet of NVRs (--channels): type 118.
	firstNVR = "34020000001180000001"
	// benchShard is the shard the operator under test serves, and the label of every
	// Camera the bench creates: its figures are one shard's (docs/scaling.md).
	benchShard = "bench"
)

// bench is one run: the processes under test and what drives and watches them.
type bench struct {
	o    opts
	r    *results
	work string

	camsimBin string
	cp        *localcluster.ControlPlane
	op        *operator
	kube      client.WithWatch
	apiHTTP   *http.Client
	apiHost   string
	tr        *tracker
	stopWatch context.CancelFunc
	watchDone chan struct{}

	ids, names []string // device IDs and Camera names, in fleet order
	deviceKA   time.Duration
	// recording records the operator's metrics (--record-metrics).
	recording *recorder
	// nothingFollows: finish need not wait for the API to show the fleet unregistered.
	nothingFollows bool
	// restartFailures is the fleet's failed keepalives when the bench restarted the
	// operator between the two steady states (nil when it did not); excusedFailures
	// the keepalives that failed from then until the next window: a single replica
	// restarted by the bench answers none meanwhile, which is no failure of the steady
	// state.
	restartFailures *int64
	excusedFailures int64
}

func newBench(o opts, r *results) (*bench, error) {
	work, err := filepath.Abs(o.work)
	if err != nil {
		return nil, err
	}
	scale := float64(5*time.Minute) / float64(o.statusInterval)
	b := &bench{o: o, r: r, work: work, deviceKA: time.Duration(float64(time.Minute) / scale).Round(time.Millisecond)}
	r.Settings = settings{
		Sizes: o.sizes, StatusInterval: o.statusInterval.String(), Scale: scale,
		DeviceKeepalive: b.deviceKA.String(), Endpoints: o.endpoints, Workers: o.workers,
		Placement: placement(o.productionLike), Channels: o.channels,
	}
	if b.ids, err = fleetIDs(b.firstID(), o.sizes[len(o.sizes)-1]); err != nil {
		return nil, err
	}
	for i := range b.ids {
		b.names = append(b.names, fmt.Sprintf("cam-%05d", i+1))
	}
	return b, nil
}

// live runs every phase that needs the control plane and the operator.
func (b *bench) live(ctx context.Context) error {
	if err := b.start(ctx); err != nil {
		return err
	}
	if err := b.createCameras(ctx); err != nil {
		return err
	}
	sizes := b.o.sizes
	if b.o.eventsOnly {
		return b.events(ctx, sizes[len(sizes)-1])
	}
	if b.o.burstsOnly {
		for i, n := range sizes {
			// Nothing needs the last fleet's unregistrations shown.
			b.nothingFollows = i == len(sizes)-1
			if err := b.burst(ctx, n); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range sizes[:len(sizes)-1] {
		if err := b.burst(ctx, n); err != nil {
			return err
		}
	}
	if err := b.largest(ctx, sizes[len(sizes)-1]); err != nil {
		return err
	}
	if b.o.events {
		if err := b.events(ctx, sizes[len(sizes)-1]); err != nil {
			return err
		}
	}
	return b.sipp(ctx)
}

// start builds the binaries, starts the control plane, the operator and the watch.
func (b *bench) start(ctx context.Context) error {
	// Only what an earlier run left: --work may name a directory holding other things.
	for _, d := range []string{"bin", "logs", "cluster", "sipp"} {
		if err := os.RemoveAll(filepath.Join(b.work, d)); err != nil {
			return err
		}
	}
	for _, d := range []string{"bin", "logs"} {
		if err := os.MkdirAll(filepath.Join(b.work, d), 0o755); err != nil {
			return err
		}
	}
	slog.Info("building the operator and camsim")
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(b.work, "bin")+string(filepath.Separator), ".", "./cmd/camsim")
	build.Dir = kubetest.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	b.camsimBin = filepath.Join(b.work, "bin", "camsim")

	if b.o.productionLike {
		if err := confineBench(); err != nil {
			return fmt.Errorf("--production-like: %w", err)
		}
	}
	slog.Info("starting etcd and kube-apiserver", "placement", b.r.Settings.Placement)
	cp, err := localcluster.StartControlPlane(filepath.Join(b.work, "cluster"), b.o.assets)
	if err != nil {
		return err
	}
	b.cp = cp
	if b.o.productionLike {
		if err := moveControlPlane(); err != nil {
			return fmt.Errorf("--production-like: %w", err)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", cp.KubeconfigPath)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 5000, 5000
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = gbv1.AddToScheme(scheme)
	if b.kube, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if b.apiHTTP, err = rest.HTTPClientFor(cfg); err != nil {
		return err
	}
	b.apiHost = cfg.Host

	b.op = &operator{cp: cp, bin: filepath.Join(b.work, "bin", "camera-operator"), logPath: filepath.Join(b.work, "logs", "operator.log"),
		args: append([]string{"--keepalive-status-interval=" + b.o.statusInterval.String(), "--shard=" + benchShard}, b.o.operatorArgs...)}
	if b.op.sipAddr, err = freeSIPAddr(); err != nil {
		return err
	}
	if b.op.probeAddr, err = freeTCPAddr(); err != nil {
		return err
	}
	if b.op.metricsAddr, err = freeTCPAddr(); err != nil {
		return err
	}
	if b.op.pprofAddr, err = freeTCPAddr(); err != nil {
		return err
	}
	slog.Info("starting the operator", "sip", b.op.sipAddr)
	ready, err := b.op.start(ctx)
	if err != nil {
		return err
	}
	b.r.Setup.OperatorReadySeconds = ready.Seconds()
	if b.o.recordMetrics != "" {
		if b.recording, err = recordMetrics("http://"+b.op.metricsAddr+"/metrics", b.o.recordMetrics, recordInterval); err != nil {
			return err
		}
	}
	time.Sleep(2 * time.Second) // let start-up allocations settle before the baseline
	mem, err := b.op.memory(ctx)
	if err != nil {
		return err
	}
	b.r.Memory = &memoryResult{Cameras: len(b.ids), Baseline: mem}
	if b.r.Memory.UnrelatedSecrets, err = b.unrelatedSecrets(ctx); err != nil {
		return err
	}

	wctx, stop := context.WithCancel(context.Background())
	b.tr, b.stopWatch, b.watchDone = newTracker(), stop, make(chan struct{})
	listed := make(chan struct{})
	go func() {
		defer close(b.watchDone)
		b.tr.run(wctx, b.kube, benchNS, listed)
	}()
	select {
	case <-listed:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// apiWait is how long the bench waits for the API to show a change of n Cameras: at
// least base, and long enough for a slow API server writing 40 statuses a second.
func apiWait(n int, base time.Duration) time.Duration {
	return max(base, time.Duration(n/40)*time.Second)
}

// teardown stops the watch, the operator and the control plane.
func (b *bench) teardown() {
	if b.recording != nil {
		if err := b.recording.end(); err != nil {
			slog.Warn("writing the metrics recording", "error", err)
		}
	}
	if b.stopWatch != nil {
		b.stopWatch()
		<-b.watchDone
	}
	if b.cp != nil {
		slog.Info("stopping the operator and the control plane")
		if err := b.cp.Stop(); err != nil {
			slog.Warn("stopping the control plane", "error", err)
		} else {
			_ = os.RemoveAll(filepath.Join(b.work, "cluster")) // etcd's data: nothing to keep
		}
	}
}

// createCameras creates the namespace, the Secret and one Camera per device with 32
// concurrent clients, and waits until the operator has written every Camera's status.
func (b *bench) createCameras(ctx context.Context) error {
	n := len(b.ids)
	slog.Info("creating Cameras", "count", n)
	if err := b.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}); err != nil {
		return err
	}
	if err := b.kube.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: benchNS},
		StringData: map[string]string{"password": password},
	}); err != nil {
		return err
	}
	start := time.Now()
	if err := b.createCamerasIn(ctx, benchNS, benchShard, n); err != nil {
		return err
	}
	created := time.Now()
	b.r.Setup.Cameras, b.r.Setup.CreateSeconds = n, created.Sub(start).Seconds()
	at, err := b.tr.waitFor(ctx, "initial status", b.names, apiWait(len(b.names), 10*time.Minute), func(v camView) bool { return v.state != "" })
	if err != nil {
		return err
	}
	b.r.Setup.InitialStatusSeconds = at.Sub(created).Seconds()
	slog.Info("Cameras created", "count", n, "seconds", b.r.Setup.CreateSeconds, "initialStatusSeconds", b.r.Setup.InitialStatusSeconds)
	slog.Info("creating the floor's twin Cameras", "count", n)
	if err := b.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: floorNS}}); err != nil {
		return err
	}
	if err := b.createCamerasIn(ctx, floorNS, floorShard, n); err != nil {
		return err
	}
	mem, err := b.op.memory(ctx)
	if err != nil {
		return err
	}
	b.r.Memory.Created = mem
	return nil
}

// createCamerasIn creates the Cameras of the first n devices in ns, labelled for shard,
// with 32 concurrent clients.
func (b *bench) createCamerasIn(ctx context.Context, ns, shard string, n int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				cam := &gbv1.Camera{
					ObjectMeta: metav1.ObjectMeta{Name: b.names[i], Namespace: ns, Labels: map[string]string{gbv1.ShardLabel: shard}},
					Spec: gbv1.CameraSpec{
						DeviceID:             b.ids[i],
						CredentialsSecretRef: gbv1.SecretKeySelector{Name: secretName, Key: "password"},
						Keepalive:            gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: b.deviceKA}, TimeoutCount: 3},
					},
				}
				if err := b.kube.Create(ctx, cam); err != nil {
					errs <- fmt.Errorf("creating Camera %s/%s: %w", ns, b.names[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// firstID is the ID of the fleet's first device: an IPC's (firstDevice), or an NVR's with --channels.
func (b *bench) firstID() string {
	if b.o.channels > 0 {
		return firstNVR
	}
	return firstDevice
}

// startFleet runs camsim for the first n devices, registering at rate (0: at once),
// with extra flags.
func (b *bench) startFleet(name string, n int, rate float64, extra ...string) (*fleet, error) {
	args := []string{
		"--server", b.op.sipAddr, "--id", b.firstID(), "--count", strconv.Itoa(n), "--password", password,
		"--keepalive-interval", b.deviceKA.String(), "--endpoints", strconv.Itoa(b.o.endpoints),
		"--workers", strconv.Itoa(b.o.workers), "--rate", strconv.FormatFloat(rate, 'f', 3, 64), "--log-level", "warn"}
	if b.o.channels > 0 {
		args = append(args, "--channels", strconv.Itoa(b.o.channels))
	}
	return startFleet(name, b.camsimBin, filepath.Join(b.work, "logs", name+".log"), append(args, extra...)...)
}

// registerBurst starts a fleet of n devices registering at once and measures the
// burst and the time until the API shows every Camera Registered.
func (b *bench) registerBurst(ctx context.Context, n int) (*fleet, registrationRun, error) {
	run := registrationRun{Driver: "camsim", Transport: "UDP", Devices: n}
	slog.Info("registration burst", "devices", n)
	ss, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return nil, run, err
	}
	cam0, ev0 := cameraWrites(ss)
	api0 := ss.processCPU()
	cpu0, _ := b.op.cpuSeconds()
	writes0, err := b.operatorWrites(ctx)
	if err != nil {
		return nil, run, err
	}
	f, err := b.startFleet(fmt.Sprintf("burst-%d", n), n, 0)
	if err != nil {
		return nil, run, err
	}
	start := time.Now()
	backlogCtx, stopBacklog := context.WithCancel(ctx)
	maxBacklog := b.sampleBacklog(backlogCtx)
	defer stopBacklog()
	last200, p, err := f.waitAllRegistered(ctx, 5*time.Minute)
	if err != nil {
		return f, run, err
	}
	cpu1, _ := b.op.cpuSeconds()
	fleetCPU, _ := processCPU(f.cmd.Process.Pid)
	run.OperatorCPU = (cpu1 - cpu0) / last200.Sub(start).Seconds()
	run.CamsimCPU = fleetCPU / last200.Sub(start).Seconds()
	run.Registered, run.Failed = p.Registered, p.Failed
	names := b.names[:n]
	shown, err := b.tr.waitFor(ctx, "Registered", names, apiWait(n, 5*time.Minute), func(v camView) bool { return v.state == gbv1.StateRegistered })
	if err != nil {
		return f, run, err
	}
	if ss, err = scrape(ctx, b.apiHTTP, b.apiHost+"/metrics"); err != nil {
		return f, run, err
	}
	cam1, ev1 := cameraWrites(ss)
	writes1, err := b.operatorWrites(ctx)
	if err != nil {
		return f, run, err
	}
	stopBacklog()
	c := catchUp{Cameras: n, Seconds: max(0, shown.Sub(last200).Seconds()), FromBurstSeconds: shown.Sub(start).Seconds(),
		CameraWrites: cam1 - cam0, EventWrites: ev1 - ev0, MaxBacklog: <-maxBacklog, LoadAverage: loadAverage(),
		ClockStepSeconds: clockStepSince(start)}
	c.HalfSeconds = b.tr.shownShare(names, start, 0.5).Seconds()
	writes := writes1.since(writes0)
	c.Writes = &writes
	if w := c.CameraWrites + c.EventWrites; w > 0 {
		c.APICPUPerWriteMs = (ss.processCPU() - api0) * 1e3 / w
	}
	if c.Memory, err = b.op.memory(ctx); err != nil {
		return f, run, err
	}
	slog.Info("burst registered", "devices", n, "apiCatchUpSeconds", c.Seconds, "cameraWrites", c.CameraWrites, "eventWrites", c.EventWrites, "byCause", writes.String())
	// The floor runs alone: the burst's last writes (the devices' answers to queries,
	// say) must not share the API server with it.
	if c.Settled, err = b.settle(ctx, start, writes0, cam0, 15*time.Minute); err != nil {
		return f, run, err
	}
	fl, err := b.floor(ctx, n)
	if err != nil {
		return f, run, err
	}
	c.Floor = &fl
	b.r.APICatchUp = append(b.r.APICatchUp, c)
	return f, run, nil
}

// finish stops a fleet (its devices unregister), completes run from camsim's summary,
// and waits until the API shows none of the first n Cameras Registered.
func (b *bench) finish(ctx context.Context, f *fleet, n int, run *registrationRun) error {
	s, err := f.stop(2 * time.Minute)
	if err != nil {
		return err
	}
	if run != nil {
		run.Registered, run.Failed, run.Failures = s.Registered, s.Failed, s.Failures
		run.PerSecond, run.Seconds = s.RegistrationsPerSecond, s.ElapsedSeconds
		run.LatencyMs = latency{P50: s.LatencyMs.P50, P99: s.LatencyMs.P99, Max: s.LatencyMs.Max, Samples: int(s.LatencyMs.Samples)}
		b.r.Registrations = append(b.r.Registrations, *run)
	}
	if b.nothingFollows {
		return nil
	}
	// Devices whose registration failed on the way have nothing to unregister: their
	// Cameras go Offline instead.
	_, err = b.tr.waitFor(ctx, "no longer Registered", b.names[:n], apiWait(n, 8*time.Minute), func(v camView) bool { return v.state != gbv1.StateRegistered })
	return err
}

// burst measures one size and unregisters it.
func (b *bench) burst(ctx context.Context, n int) error {
	f, run, err := b.registerBurst(ctx, n)
	if err != nil {
		if f != nil {
			f.kill()
		}
		return err
	}
	return b.finish(ctx, f, n, &run)
}

// largest measures the largest size: the burst, steady-state writes, memory and the
// keepalive load on the registered fleet; then the avalanche and the operator restart.
func (b *bench) largest(ctx context.Context, n int) error {
	f, run, err := b.registerBurst(ctx, n)
	if err != nil {
		if f != nil {
			f.kill()
		}
		return err
	}
	// Nothing that needs the fleet's unregistrations shown follows the last phase.
	b.nothingFollows = !b.o.avalanche && !b.o.events && b.o.noSipp
	err = b.steady(ctx, f, n)
	if b.o.keepaliveLoad {
		err = errors.Join(err, b.keepalives(ctx, f))
	} else {
		b.r.Skipped["keepalive load"] = "--keepalive-load=false"
	}
	if ferr := b.finish(ctx, f, n, &run); ferr != nil {
		return errors.Join(err, ferr)
	}
	if err != nil {
		return err
	}
	if !b.o.avalanche {
		b.r.Skipped["avalanche and restart"] = "--avalanche=false"
		return nil
	}
	g, err := b.avalanche(ctx, n)
	if err != nil {
		if g != nil {
			g.kill()
		}
		return err
	}
	err = b.restart(ctx, g, n)
	return errors.Join(err, b.finish(ctx, g, n, nil))
}

// steady counts API writes while the fleet keeps alive and nothing else happens, and the
// operator's memory then. It counts them again with liveness in the Cameras' status
// alone (--liveness-leases=false), as before Leases, so that the API server's cost of a
// fleet's liveness is measured both ways in one run.
func (b *bench) steady(ctx context.Context, f *fleet, n int) error {
	s, err := b.steadyWindow(ctx, f, n)
	if err != nil {
		return err
	}
	b.r.Steady = s
	mem, err := b.op.memory(ctx)
	if err != nil {
		return err
	}
	b.r.Memory.Registered = mem
	b.r.Memory.PerCameraBytes = (float64(mem.RSSBytes) - float64(b.r.Memory.Baseline.RSSBytes)) / float64(n)
	// Where the memory per camera goes: `go tool pprof -sample_index=inuse_space` on it.
	if err := b.op.heapProfile(ctx, filepath.Join(b.work, "logs", fmt.Sprintf("operator-heap-%d.pprof", n))); err != nil {
		return err
	}

	slog.Info("steady state again, liveness in the status alone")
	failed := f.progress().KeepalivesFailed
	b.restartFailures = &failed
	if err := b.op.restartWith(ctx, "--liveness-leases=false"); err != nil {
		return err
	}
	old, err := b.steadyWindow(ctx, f, n)
	if rerr := b.op.restartWith(ctx, "--liveness-leases=true"); rerr != nil {
		return errors.Join(err, rerr)
	}
	b.r.SteadyStatusOnly = old
	return err
}

// steadyWindow warms up, waits for the burst's Events to be written, and counts the API
// writes and the API server's CPU over the steady-state window.
func (b *bench) steadyWindow(ctx context.Context, f *fleet, n int) (*steadyWrites, error) {
	warm := b.o.statusInterval + b.deviceKA
	slog.Info("steady state: warming up", "for", warm)
	sleepCtx(ctx, warm)
	// The Events of the burst's transitions reach the API server late (the event
	// recorder queues and rate-limits them): wait until they have all been written, so
	// the window counts the steady state alone.
	ss, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); {
		_, before := cameraWrites(ss)
		sleepCtx(ctx, b.o.statusInterval/2)
		if ss, err = scrape(ctx, b.apiHTTP, b.apiHost+"/metrics"); err != nil {
			return nil, err
		}
		if _, after := cameraWrites(ss); after == before {
			break
		}
	}
	cam0, ev0 := cameraWrites(ss)
	lease0, api0 := leaseWrites(ss), ss.processCPU()
	mod0 := b.tr.modifiedCount()
	p0 := f.progress()
	cpu0, _ := b.op.cpuSeconds()
	start := time.Now()
	slog.Info("steady state: counting API writes", "for", b.o.steadyWindow)
	sleepCtx(ctx, b.o.steadyWindow)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	window := time.Since(start)
	if ss, err = scrape(ctx, b.apiHTTP, b.apiHost+"/metrics"); err != nil {
		return nil, err
	}
	cam1, ev1 := cameraWrites(ss)
	cpu1, _ := b.op.cpuSeconds()
	s := &steadyWrites{
		Cameras: n, WindowSeconds: window.Seconds(),
		CameraWrites: cam1 - cam0, EventWrites: ev1 - ev0, LeaseWrites: leaseWrites(ss) - lease0,
		Modified:         b.tr.modifiedCount() - mod0,
		APIServerCPU:     (ss.processCPU() - api0) / window.Seconds(),
		OperatorCPU:      (cpu1 - cpu0) / window.Seconds(),
		KeepalivesPerSec: float64(f.progress().KeepalivesOK-p0.KeepalivesOK) / window.Seconds(),
		LoadAverage:      loadAverage(),
	}
	// The window lasts window×Scale of unscaled time.
	unscaled := window.Seconds() * b.r.Settings.Scale
	s.PerCameraPer5Min = (s.CameraWrites + s.LeaseWrites + s.EventWrites) / float64(n) / (unscaled / 300)
	s.APIServerMsPerCameraPer5Min = s.APIServerCPU * window.Seconds() * 1e3 / float64(n) / (unscaled / 300)
	if writes := s.CameraWrites + s.LeaseWrites + s.EventWrites; writes > 0 {
		s.APIServerMsPerWrite = s.APIServerCPU * window.Seconds() * 1e3 / writes
	}
	if b.restartFailures != nil {
		b.excusedFailures += p0.KeepalivesFailed - *b.restartFailures
		b.restartFailures = nil
		if b.excusedFailures > 0 {
			slog.Info("keepalives went unanswered while the bench restarted the operator", "failed", b.excusedFailures)
		}
	}
	if failed := f.progress().KeepalivesFailed - b.excusedFailures; failed > 0 {
		b.r.Errors = append(b.r.Errors, fmt.Sprintf("steady state: %d keepalives failed", failed))
	}
	return s, nil
}

// keepalives runs the keepalive load for the registered fleet's devices. The operator
// runs it at its production --keepalive-status-interval: the steady-state phase scales
// time down and so makes ten times the liveness writes of real life, which this phase
// would otherwise measure too. It is restarted for that (its registrations survive, as
// the restart phase shows), and again afterwards with the scaled interval.
//
// The registrar hears a device only from where it registered, so the load generator
// registers the devices again from its own sockets first, and the camsim fleet f, whose
// keepalives would then be refused and make it register them back, is paused (SIGSTOP)
// meanwhile; when it resumes, the fleet is stopped and unregisters them.
func (b *bench) keepalives(ctx context.Context, f *fleet) error {
	if err := b.op.restartWith(ctx, "--keepalive-status-interval="+productionStatusInterval.String()); err != nil {
		return err
	}
	sleepCtx(ctx, 15*time.Second) // the restarted operator's first reconciles of every Camera
	defer func() {
		if err := b.op.restartWith(ctx, "--keepalive-status-interval="+b.o.statusInterval.String()); err != nil {
			slog.Error("restarting the operator with the scaled status interval", "error", err)
		}
	}()
	if err := f.pause(); err != nil {
		return err
	}
	defer f.resume()
	slog.Info("keepalive load: registering the devices from the load's sockets", "devices", len(b.ids))
	viaOperator, err := registerKeepaliveFleet(b.op.sipAddr, b.ids, b.o.kaConns, password)
	if err != nil {
		return fmt.Errorf("keepalive fleet: %w", err)
	}
	defer viaOperator.Close()
	// The moved registrations are status writes: let them all land before measuring. A
	// Camera may show Offline by then (the load keeps alive only once it measures, and
	// on a loaded machine the writes take longer than the keepalive deadline): the
	// address is what says its registration moved.
	addrs := viaOperator.localAddrs()
	if _, err := b.tr.waitFor(ctx, "registered from the keepalive load", b.names[:len(b.ids)], apiWait(len(b.ids), 5*time.Minute), func(v camView) bool {
		return addrs[v.remoteAddr]
	}); err != nil {
		return err
	}
	// The registrar alone runs beside it, in a process of its own, with the same devices
	// registered and the operator's GOGC: the load alternates between the two, so both
	// see the same machine.
	mem, err := b.op.memory(ctx)
	if err != nil {
		return err
	}
	gcPercent := int(mem.GCPercent)
	alone, err := startRegistrarProcess(ctx, password, gcPercent)
	if err != nil {
		return fmt.Errorf("registrar alone: %w", err)
	}
	defer func() {
		if err := alone.stop(); err != nil {
			slog.Error("stopping the registrar alone", "error", err)
		}
	}()
	viaAlone, err := registerKeepaliveFleet(alone.addr, b.ids, b.o.kaConns, password)
	if err != nil {
		return fmt.Errorf("registrar alone: %w", err)
	}
	defer viaAlone.Close()
	var opRounds, aloneRounds []keepaliveResult
	for round := range keepaliveRounds {
		slog.Info("keepalive load through the operator", "round", round+1, "for", b.o.kaDuration)
		k, err := b.keepaliveRound(ctx, viaOperator, b.op.cpuSeconds)
		if err != nil {
			return err
		}
		opRounds = append(opRounds, k)
		slog.Info("keepalive load on the registrar alone (its own process)", "round", round+1, "for", b.o.kaDuration)
		if k, err = b.keepaliveRound(ctx, viaAlone, alone.cpuSeconds); err != nil {
			return err
		}
		aloneRounds = append(aloneRounds, k)
	}
	b.r.Keepalives, b.r.KeepalivesAloneProcess = sumKeepalives(opRounds), sumKeepalives(aloneRounds)
	b.r.Keepalives.GCPercent, b.r.KeepalivesAloneProcess.GCPercent = gcPercent, gcPercent
	mem, err = b.op.memory(ctx)
	if err == nil && mem.PeakRSSBytes > b.r.Memory.Registered.PeakRSSBytes {
		b.r.Memory.Registered.PeakRSSBytes = mem.PeakRSSBytes
	}
	return b.op.alive()
}

// keepaliveRounds is how many times the keepalive load alternates between the operator
// and the registrar alone.
const keepaliveRounds = 5

// keepaliveRound runs the keepalive load of kf once, with the CPU the serving process
// (cpu) and the generator used.
func (b *bench) keepaliveRound(ctx context.Context, kf *kaFleet, cpu func() (float64, error)) (keepaliveResult, error) {
	cpu0, _ := cpu()
	self0, _ := processCPU(os.Getpid())
	k, err := kf.load(ctx, b.o.kaWindow, b.o.kaDuration)
	cpu1, _ := cpu()
	self1, _ := processCPU(os.Getpid())
	k.OperatorCPU = (cpu1 - cpu0) / b.o.kaDuration.Seconds()
	k.GeneratorCPU = (self1 - self0) / b.o.kaDuration.Seconds()
	return k, err
}

// avalanche has every device register again within the spread (devices rebooted by a
// site power cut, or sent back by a platform that lost their registrations).
func (b *bench) avalanche(ctx context.Context, n int) (*fleet, error) {
	rate := 0.0
	if b.o.avalancheSpread > 0 {
		rate = float64(n) / b.o.avalancheSpread.Seconds()
	}
	slog.Info("avalanche", "devices", n, "spread", b.o.avalancheSpread)
	g, err := b.startFleet("avalanche", n, rate)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	a := &avalancheResult{Devices: n, SpreadSeconds: b.o.avalancheSpread.Seconds()}
	b.r.Avalanche = a
	last200, p, err := g.waitAllRegistered(ctx, b.o.avalancheSpread+5*time.Minute)
	a.Registered, a.Failed = p.Registered, p.Failed
	a.LatencyMs = latency{P50: p.LatencyMs.P50, P99: p.LatencyMs.P99}
	if err != nil {
		return g, err
	}
	a.AllRegisteredSeconds = last200.Sub(start).Seconds()
	shown, err := b.tr.waitFor(ctx, "Registered", b.names[:n], apiWait(n, 5*time.Minute), func(v camView) bool { return v.state == gbv1.StateRegistered })
	if err != nil {
		return g, err
	}
	a.APIRegisteredSeconds = shown.Sub(start).Seconds()
	return g, nil
}

// restart kills the operator while the fleet is registered and keeping alive, starts
// it again, and watches the devices for three keepalive intervals.
func (b *bench) restart(ctx context.Context, f *fleet, n int) error {
	slog.Info("operator kill -9 and restart", "devices", n)
	before := f.progress()
	ss, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return err
	}
	cam0, ev0 := cameraWrites(ss)
	if err := b.op.kill(); err != nil {
		return err
	}
	ready, err := b.op.start(ctx)
	if err != nil {
		return err
	}
	x := &restartResult{Devices: n, ReadySeconds: ready.Seconds()}
	b.r.Restart = x
	observe := 3*b.deviceKA + 2*time.Second
	sleepCtx(ctx, observe)
	after := f.progress()
	x.ObservedSeconds = (ready + observe).Seconds()
	x.KeepalivesOK = after.KeepalivesOK - before.KeepalivesOK
	x.KeepalivesFailed = after.KeepalivesFailed - before.KeepalivesFailed
	x.ReRegistrations = after.Registered - before.Registered
	x.RegisterFailed = after.Failed - before.Failed
	if ss, err = scrape(ctx, b.apiHTTP, b.apiHost+"/metrics"); err != nil {
		return err
	}
	cam1, ev1 := cameraWrites(ss)
	x.WritesCaused = cam1 - cam0 + ev1 - ev0
	_, err = b.tr.waitFor(ctx, "Registered", b.names[:n], 10*time.Second, func(v camView) bool { return v.state == gbv1.StateRegistered })
	x.AllRegistered = err == nil
	return nil
}

// sipp registers every device once with sipp, if it is installed.
func (b *bench) sipp(ctx context.Context) error {
	if b.o.noSipp {
		b.r.Skipped["sipp"] = "--no-sipp"
		return nil
	}
	bin, err := exec.LookPath("sipp")
	if err != nil {
		b.r.Skipped["sipp"] = "sipp is not installed (Debian package sip-tester)"
		return nil
	}
	slog.Info("sipp registration load", "devices", len(b.ids))
	cpu0, _ := b.op.cpuSeconds()
	start := time.Now()
	s, err := runSipp(ctx, bin, filepath.Join(kubetest.RepoRoot(), "test", "bench", "sipp", "register-load.xml"),
		filepath.Join(b.work, "sipp"), b.op.sipAddr, b.ids, password, b.o.sippRate, b.o.sippLimit)
	cpu1, _ := b.op.cpuSeconds()
	s.OperatorCPU = (cpu1 - cpu0) / time.Since(start).Seconds()
	b.r.Sipp = &s
	return err
}
