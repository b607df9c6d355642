package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The comparison's registration storm: every device of the fleet registering for the
// first time, as after an outage, at the storm rate. Each new registration costs the
// operator its Camera's status writes and the device's queries; the SIP side should stay
// clean while the operator paces those writes, and the figures say how long the API
// took to show every Camera Registered after the last 200 and what each registration
// cost the API path.

// compareStorm is the storm's figures.
type compareStorm struct {
	Topology string      `json:"topology"`
	Step     compareStep `json:"step"`
	// DrainSeconds runs from sipp's end (every 200 sent) until the API showed the last
	// Camera Registered: the backlog of status writes the storm left.
	DrainSeconds float64 `json:"drain_seconds"`
	// StatusWrites counts the operator's Camera status writes from the storm's start
	// until they settled; per registration, over the successful ones.
	StatusWrites                float64 `json:"status_writes"`
	StatusWritesPerRegistration float64 `json:"status_writes_per_registration"`
	// Answered counts the Cameras whose status shows the DeviceInfo answer-queries.xml
	// gave: the queries of their registration were answered.
	Answered int `json:"cameras_with_device_info"`
	// DeviceInfoQueries counts the operator's DeviceInfo requests of the storm by how
	// they ended (camera_operator_device_queries_total): a Camera without its DeviceInfo
	// is one whose query went unanswered, and is asked again after the retry interval.
	DeviceInfoQueries map[string]float64 `json:"device_info_queries"`
	// PacedSeconds is how long, sampled every 100 ms from the storm's start until the
	// writes settled, the operator paced its status writes
	// (camera_operator_status_write_pace above 0), and SlowestPace the lowest pace seen.
	PacedSeconds float64 `json:"paced_seconds"`
	SlowestPace  float64 `json:"slowest_pace_per_second,omitempty"`
}

// paceWatch samples the operator's status write pace until stopped.
type paceWatch struct {
	paced   time.Duration
	slowest float64
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

const paceSampleEvery = 100 * time.Millisecond

func watchPace(ctx context.Context, op *compareOperator) *paceWatch {
	w := &paceWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(paceSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			ss, err := op.op.scrape(ctx)
			if err != nil {
				continue
			}
			if p := ss.sum("camera_operator_status_write_pace", nil); p > 0 {
				w.paced += paceSampleEvery
				if w.slowest == 0 || p < w.slowest {
					w.slowest = p
				}
			}
		}
	}()
	return w
}

// end stops the sampling and returns what it saw; it may be called again.
func (w *paceWatch) end() (time.Duration, float64) {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	return w.paced, w.slowest
}

// runStorm registers every device once at o.compareStormRate, with the processes placed
// as t says, and waits for the API to show each Camera Registered while a sipp on the
// devices' port goes on answering the queries of the registrations.
func runStorm(ctx context.Context, op *compareOperator, load sippLoad, t topology, o opts, dir string, devices int) (*compareStorm, error) {
	if err := op.place(t); err != nil {
		return nil, err
	}
	st := &compareStorm{Topology: t.Name}
	before, err := op.statusWrites(ctx)
	if err != nil {
		return nil, err
	}
	queriesBefore, err := op.deviceInfoQueries(ctx)
	if err != nil {
		return nil, err
	}
	load.rate, load.calls, load.server, load.cpus, load.dir = o.compareStormRate, devices, op.op.sipAddr, t.sippCPUs(), dir
	slog.Info("registration storm", "devices", devices, "rate", load.rate, "topology", t.Name)
	pace := watchPace(ctx, op)
	defer pace.end()
	st.Step, err = runSippStep(ctx, load)
	if err != nil {
		st.Step.Error = err.Error()
		return st, err
	}
	ended := time.Now()
	stopAnswering, err := answerQueries(ctx, load, filepath.Join(dir, "answering"))
	if err != nil {
		return st, err
	}
	defer stopAnswering()
	shown, err := op.tr.waitFor(ctx, "Registered after the storm", op.names, 5*time.Minute,
		func(v camView) bool { return v.state == gbv1.StateRegistered })
	if err != nil {
		return st, err
	}
	st.DrainSeconds = max(0, shown.Sub(ended).Seconds())
	after, err := op.settledWrites(ctx, 3*time.Second, 2*time.Minute)
	paced, slowest := pace.end()
	st.PacedSeconds, st.SlowestPace = paced.Seconds(), slowest
	if err != nil {
		return st, err
	}
	st.StatusWrites = after - before
	if st.Answered, err = op.answeredCameras(ctx); err != nil {
		return st, err
	}
	queriesAfter, err := op.deviceInfoQueries(ctx)
	if err != nil {
		return st, err
	}
	st.DeviceInfoQueries = grown(queriesAfter, queriesBefore)
	if n := st.Step.Counts.Successful; n > 0 {
		st.StatusWritesPerRegistration = st.StatusWrites / float64(n)
	}
	return st, nil
}

// answerQueries runs answer-queries.xml alone on the devices' port, as the devices
// that stay up after registering, until stop.
func answerQueries(ctx context.Context, load sippLoad, dir string) (stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := sippCommand(ctx, load.bin, load.cpus, []string{load.server, "-sf", load.oocsf,
		"-t", "u1", "-i", "127.0.0.1", "-p", strconv.Itoa(load.port),
		"-buff_size", strconv.Itoa(4 << 20), "-nostdin", "-nd"})
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "sipp.out"))
	if err != nil {
		cancel()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		out.Close()
		return nil, fmt.Errorf("sipp answering queries: %w", err)
	}
	return func() {
		cancel() // ends this sipp by its PID (exec.CommandContext)
		_ = cmd.Wait()
		out.Close()
	}, nil
}

// compareOverload is the operator offered twice its highest clean rate: what it
// registers then (goodput) as a share of that clean rate, and how its peers retried.
// Kamailio is then offered the same load in the same topology: at twice a clean rate
// near the load generator's own limit, what Kamailio keeps is what the machine allows.
type compareOverload struct {
	// Generator made the calls: sipp (register-load.xml), or the lean client
	// (leanload.go), which has read its answers where sipp dropped them.
	Generator string      `json:"generator"`
	Topology  string      `json:"topology"`
	CleanRate int         `json:"clean_rate_cps"`
	Step      compareStep `json:"step"`
	// Goodput is the step's successful registrations per second (compareStep.goodput),
	// and GoodputShare that over CleanRate (goal ≥ 0.9).
	Goodput      float64 `json:"goodput_cps"`
	GoodputShare float64 `json:"goodput_share_of_clean"`
	// Completed is the registrations the operator itself completed during the step,
	// whether or not the generator read their 200 (one short of CPU drops answers at its
	// socket); CompletedRate is that over the generator's run time, and CompletedShare
	// that over CleanRate: the goodput as the operator saw it.
	Completed      float64 `json:"operator_completed"`
	CompletedRate  float64 `json:"operator_completed_cps"`
	CompletedShare float64 `json:"operator_completed_share_of_clean"`
	// Kamailio is Kamailio's step at the same offered rate (nil without Kamailio),
	// KamailioGoodput its goodput and GoodputOverKamailio the operator's over it.
	Kamailio            *compareStep `json:"kamailio,omitempty"`
	KamailioGoodput     float64      `json:"kamailio_goodput_cps,omitempty"`
	GoodputOverKamailio float64      `json:"goodput_over_kamailio,omitempty"`
}

// The load generators of the overload step.
const (
	generatorSipp = "sipp"
	generatorLean = "lean client"
)

// runStep offers one step's load with generator and reads back its counts.
func runStep(ctx context.Context, generator string, l sippLoad) (compareStep, error) {
	if generator == generatorLean {
		return runLeanStep(ctx, l)
	}
	return runSippStep(ctx, l)
}

// runOverload offers twice target's highest clean rate, made by target's generator, to
// the operator placed as t, then the same to Kamailio (k, when installed) placed the
// same way.
func runOverload(ctx context.Context, op *compareOperator, k *kamailio, load sippLoad, t topology, target *compareTarget, dir string) (*compareOverload, error) {
	if target == nil || target.HighestClean == 0 {
		return nil, nil
	}
	if err := errors.Join(op.place(t), kamailioPlace(k, t)); err != nil {
		return nil, err
	}
	generator := target.Generator
	ov := &compareOverload{Generator: generator, Topology: t.Name, CleanRate: target.HighestClean}
	load.rate, load.server, load.cpus, load.dir = 2*target.HighestClean, op.op.sipAddr, t.sippCPUs(), dir
	slog.Info("overload step", "target", operatorTarget, "generator", generator, "rate", load.rate, "topology", t.Name)
	before, err := op.completedRegistrations(ctx)
	if err != nil {
		return nil, err
	}
	var profiled func()
	if op.op.pprofAddr != "" {
		profiled = profileCPU(ctx, op.op.pprofAddr, load.step, filepath.Join(dir, "operator-cpu.pprof"))
	}
	ov.Step, err = runStep(ctx, generator, load)
	if profiled != nil {
		profiled()
	}
	if err != nil {
		ov.Step.Error = err.Error()
		return ov, nil
	}
	ov.Goodput = ov.Step.goodput()
	ov.GoodputShare = ov.Goodput / float64(ov.CleanRate)
	after, err := op.completedRegistrations(ctx)
	if err != nil {
		return nil, err
	}
	ov.Completed = after - before
	if secs := ov.Step.seconds(); secs > 0 {
		ov.CompletedRate = ov.Completed / secs
		ov.CompletedShare = ov.CompletedRate / float64(ov.CleanRate)
	}
	if k == nil {
		return ov, nil
	}
	// Let the last calls' retransmission timers run out before the other target.
	time.Sleep(time.Second)
	load.server, load.dir = k.addr, dir+"-kamailio"
	slog.Info("overload step", "target", kamailioTarget, "generator", generator, "rate", load.rate, "topology", t.Name)
	step, err := runStep(ctx, generator, load)
	if err != nil {
		step.Error = err.Error()
	}
	ov.Kamailio = &step
	if ov.KamailioGoodput = step.goodput(); ov.KamailioGoodput > 0 {
		ov.GoodputOverKamailio = ov.Goodput / ov.KamailioGoodput
	}
	return ov, nil
}

// seconds is how long sipp took to make the step's calls and see them end: the calls
// over its cumulative call rate.
func (s compareStep) seconds() float64 {
	if s.AchievedRate <= 0 {
		return 0
	}
	return float64(s.Counts.Created) / s.AchievedRate
}

// goodput is the step's registrations per second over the time sipp took to make its
// calls and see them end: its cumulative call rate times the share of calls that
// registered. A target past its capacity stretches that time, so the offered rate is
// not the divisor.
func (s compareStep) goodput() float64 {
	if s.Counts.Created == 0 {
		return 0
	}
	return s.AchievedRate * float64(s.Counts.Successful) / float64(s.Counts.Created)
}

// answeredCameras counts the Cameras whose status holds answer-queries.xml's DeviceInfo.
func (c *compareOperator) answeredCameras(ctx context.Context) (int, error) {
	var list gbv1.CameraList
	if err := c.kube.List(ctx, &list, client.InNamespace(benchNS)); err != nil {
		return 0, err
	}
	n := 0
	for _, cam := range list.Items {
		if di := cam.Status.DeviceInfo; di != nil && di.Manufacturer == answeringManufacturer {
			n++
		}
	}
	return n, nil
}

// answeringManufacturer is the Manufacturer answer-queries.xml answers DeviceInfo with.
const answeringManufacturer = "sipp"
