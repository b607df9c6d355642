package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// fleet is one camsim process simulating many devices.
type fleet struct {
	name string
	cmd  *exec.Cmd
	out  bytes.Buffer // the JSON summary, printed at exit

	mu   sync.Mutex
	last progress
	// allAt is when a progress line first showed every device registered.
	allAt time.Time

	done chan struct{}
	err  error
}

// progress is camsim's live progress line: totals since it started.
type progress struct {
	at                             time.Time
	registered, devices, failed    int64
	p50, p99                       float64
	keepalivesOK, keepalivesFailed int64
}

var progressLine = regexp.MustCompile(`registered (\d+)/(\d+)\s+failed (\d+)\s.*p50 ([0-9.]+)ms p99 ([0-9.]+)ms\s+keepalives (\d+) ok (\d+) failed`)

// progressInterval is camsim's progress period: the resolution of "when the last
// device got its 200".
const progressInterval = 50 * time.Millisecond

// startFleet runs camsim with args, its stderr (progress and logs) in logPath.
func startFleet(name, bin, logPath string, args ...string) (*fleet, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	f := &fleet{name: name, done: make(chan struct{})}
	f.cmd = exec.Command(bin, append([]string{"--json", "--progress", progressInterval.String()}, args...)...)
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	f.cmd.Stdout = &f.out
	stderr, err := f.cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := f.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		f.read(io.TeeReader(stderr, logf))
		f.err = f.cmd.Wait()
		logf.Close()
		close(f.done)
	}()
	return f, nil
}

func (f *fleet) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m := progressLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		p := progress{at: time.Now()}
		p.registered, _ = strconv.ParseInt(m[1], 10, 64)
		p.devices, _ = strconv.ParseInt(m[2], 10, 64)
		p.failed, _ = strconv.ParseInt(m[3], 10, 64)
		p.p50, _ = strconv.ParseFloat(m[4], 64)
		p.p99, _ = strconv.ParseFloat(m[5], 64)
		p.keepalivesOK, _ = strconv.ParseInt(m[6], 10, 64)
		p.keepalivesFailed, _ = strconv.ParseInt(m[7], 10, 64)
		f.mu.Lock()
		if f.allAt.IsZero() && p.devices > 0 && p.registered >= p.devices {
			f.allAt = p.at
		}
		f.last = p
		f.mu.Unlock()
	}
}

func (f *fleet) progress() progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// waitAllRegistered waits until every device got a 200 (or the fleet stopped trying:
// registrations plus failures cover the devices) and returns when the progress line
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
	var s sim.Summary
	if err := json.Unmarshal(f.out.Bytes(), &s); err != nil {
		return s, fmt.Errorf("camsim %s summary %q: %w (exit: %v)", f.name, strings.TrimSpace(f.out.String()), err, f.err)
	}
	return s, nil
}

// kill ends camsim with SIGKILL: the devices vanish without unregistering.
func (f *fleet) kill() {
	_ = f.cmd.Process.Kill()
	<-f.done
}
