package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// fleet is one camsim process simulating many devices, read through its JSON lines
// (camsim --output json).
type fleet struct {
	name string
	cmd  *exec.Cmd

	reports sim.Follower

	done chan struct{}
	err  error
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
		f.reports.Follow(stdout)
		f.err = f.cmd.Wait()
		logf.Close()
		close(f.done)
	}()
	return f, nil
}

// progress is camsim's latest progress report: totals since it started.
func (f *fleet) progress() sim.Report { return f.reports.Progress() }

// waitAllRegistered waits until every device got a 200 (or the fleet stopped trying:
// registrations plus failures cover the devices) and returns when a progress report
// first showed it.
func (f *fleet) waitAllRegistered(ctx context.Context, timeout time.Duration) (time.Time, sim.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		p, at := f.reports.Progress(), f.reports.AllRegisteredAt()
		if !at.IsZero() {
			return at, p, nil
		}
		select {
		case <-f.done:
			return time.Time{}, p, fmt.Errorf("camsim %s exited: %v", f.name, f.err)
		case <-ctx.Done():
			return time.Time{}, p, fmt.Errorf("camsim %s: %d of %d devices registered after %s (%d failed)", f.name, p.Registered, p.Devices, timeout, p.Failed)
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
	s, err := f.reports.Summary()
	if err != nil {
		return s, fmt.Errorf("camsim %s: %w (exit: %v)", f.name, err, f.err)
	}
	return s, nil
}

// pause stops camsim (SIGSTOP): its devices fall silent, and send nothing until resume.
func (f *fleet) pause() error { return f.cmd.Process.Signal(syscall.SIGSTOP) }

// resume continues a paused camsim (SIGCONT).
func (f *fleet) resume() { _ = f.cmd.Process.Signal(syscall.SIGCONT) }

// kill ends camsim with SIGKILL: the devices vanish without unregistering.
func (f *fleet) kill() {
	_ = f.cmd.Process.Kill()
	<-f.done
}
