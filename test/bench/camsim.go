package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// fleet is one camsim process simulating many devices, read through its JSON lines
// (camsim --output json).
type fleet struct {
	name string
	cmd  *exec.Cmd

	mu      sync.Mutex
	last    progress
	summary *sim.Summary // the summary camsim printed at exit
	readErr error
	// allAt is when a progress report first showed every device registered.
	allAt time.Time

	done chan struct{}
	err  error
}

// progress is camsim's latest progress report: totals since it started.
type progress struct {
	at                             time.Time
	registered, devices, failed    int64
	p50, p99                       float64
	keepalivesOK, keepalivesFailed int64
}

// progressInterval is camsim's progress period: the resolution of "when the last
// device got its 200".
const progressInterval = 50 * time.Millisecond

// startFleet runs camsim with args, its logs (stderr) in logPath.
func startFleet(name, bin, logPath string, args ...string) (*fleet, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	f := &fleet{name: name, done: make(chan struct{})}
	f.cmd = exec.Command(bin, append([]string{"--output", "json", "--progress", progressInterval.String()}, args...)...)
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	f.cmd.Stderr = logf
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := f.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		f.read(stdout)
		f.err = f.cmd.Wait()
		logf.Close()
		close(f.done)
	}()
	return f, nil
}

// read follows camsim's reports until it exits.
func (f *fleet) read(r io.Reader) {
	err := sim.ReadReports(r, func(rep sim.Report) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if rep.Kind == sim.ReportSummary {
			f.summary = &rep.Summary
			return
		}
		p := progress{at: time.Now(), registered: rep.Registered, devices: int64(rep.Devices), failed: rep.Failed,
			p50: rep.LatencyMs.P50, p99: rep.LatencyMs.P99, keepalivesOK: rep.KeepalivesOK, keepalivesFailed: rep.KeepalivesFailed}
		if f.allAt.IsZero() && p.devices > 0 && p.registered >= p.devices {
			f.allAt = p.at
		}
		f.last = p
	})
	f.mu.Lock()
	f.readErr = err
	f.mu.Unlock()
}

func (f *fleet) progress() progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// waitAllRegistered waits until every device got a 200 (or the fleet stopped trying:
// registrations plus failures cover the devices) and returns when a progress report
// first showed it.
func (f *fleet) waitAllRegistered(ctx context.Context, timeout time.Duration) (time.Time, progress, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		f.mu.Lock()
		p, at := f.last, f.allAt
		f.mu.Unlock()
		if !at.IsZero() {
			return at, p, nil
		}
		select {
		case <-f.done:
			return time.Time{}, p, fmt.Errorf("camsim %s exited: %v", f.name, f.err)
		case <-ctx.Done():
			return time.Time{}, p, fmt.Errorf("camsim %s: %d of %d devices registered after %s (%d failed)", f.name, p.registered, p.devices, timeout, p.failed)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop sends SIGINT (the devices unregister) and returns camsim's summary.
func (f *fleet) stop(timeout time.Duration) (sim.Summary, error) {
	_ = f.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-f.done:
	case <-time.After(timeout):
		_ = f.cmd.Process.Kill()
		<-f.done
		return sim.Summary{}, fmt.Errorf("camsim %s did not exit within %s of SIGINT", f.name, timeout)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.summary == nil {
		return sim.Summary{}, fmt.Errorf("camsim %s printed no summary (reading its reports: %v; exit: %v)", f.name, f.readErr, f.err)
	}
	return *f.summary, nil
}

// kill ends camsim with SIGKILL: the devices vanish without unregistering.
func (f *fleet) kill() {
	_ = f.cmd.Process.Kill()
	<-f.done
}
