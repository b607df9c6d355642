package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// devices is one camsim process: one simulated device, or a fleet with --count, read
// through its JSON lines (camsim --output json).
type devices struct {
	name string
	cmd  *exec.Cmd

	reports sim.Follower

	mu    sync.Mutex
	lines []string // the last lines of stderr: the logs

	done chan struct{} // closed when the process has exited and its output is read
	err  error
}

// progress is camsim's latest progress report: running totals since it started.
type progress = sim.Report

const keptLines = 60

// startCamsim runs camsim toward the operator's registrar with args added to the suite's
// defaults: JSON lines, a progress report every 200 ms, and keepalives at the Cameras'
// pace. It is interrupted (and so unregisters) when the test ends, if still running.
func (e *env) startCamsim(t *testing.T, name string, args ...string) *devices {
	t.Helper()
	base := []string{
		"--server", e.sipAddr,
		"--output", "json",
		"--progress", "200ms",
		"--log-level", "info",
		"--keepalive-interval", deviceKeepalive.String(),
	}
	d := &devices{name: name, done: make(chan struct{})}
	d.cmd = exec.Command(e.camsimBin, append(base, args...)...)
	// Never outlive the test binary, whatever happens to it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		logsRead := make(chan struct{})
		go func() { d.readLogs(stderr); close(logsRead) }()
		d.reports.Follow(stdout)
		<-logsRead
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-d.done:
			case <-time.After(30 * time.Second):
				_ = d.cmd.Process.Kill()
				<-d.done
			}
		}
		if t.Failed() {
			t.Logf("last lines of camsim %s:\n%s", d.name, d.tail())
		}
	})
	return d
}

// readLogs follows camsim's stderr, keeping the last lines for a failing test.
func (d *devices) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		d.mu.Lock()
		if len(d.lines) == keptLines {
			d.lines = d.lines[1:]
		}
		d.lines = append(d.lines, sc.Text())
		d.mu.Unlock()
	}
}

func (d *devices) tail() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "\n")
}

// progress is the latest progress report.
func (d *devices) progress() progress { return d.reports.Progress() }

// waitProgress waits until cond holds for a progress report, failing the test after
// timeout or when camsim exits first.
func (d *devices) waitProgress(t *testing.T, timeout time.Duration, what string, cond func(progress) bool) progress {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if p := d.progress(); cond(p) {
			return p
		}
		select {
		case <-d.done:
			t.Fatalf("camsim %s exited (%v) before %s; last progress %+v", d.name, d.err, what, d.progress())
		case <-deadline:
			t.Fatalf("camsim %s: not %s within %s; last progress %+v", d.name, what, timeout, d.progress())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// interrupt sends SIGINT (the devices unregister) and returns camsim's summary.
func (d *devices) interrupt(t *testing.T) sim.Summary {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("camsim %s: %v", d.name, err)
	}
	return d.wait(t, 60*time.Second, true)
}

// wait waits for camsim to exit and returns its summary; wantOK says whether a
// non-zero exit fails the test.
func (d *devices) wait(t *testing.T, timeout time.Duration, wantOK bool) sim.Summary {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(timeout):
		t.Fatalf("camsim %s did not exit within %s", d.name, timeout)
	}
	var exit *exec.ExitError
	if d.err != nil && (wantOK || !errors.As(d.err, &exit)) {
		t.Fatalf("camsim %s: %v", d.name, d.err)
	}
	s, err := d.reports.Summary()
	if err != nil {
		t.Fatalf("camsim %s: %v", d.name, err)
	}
	return s
}

// summaryString is the summary's figures that the suite checks, for messages.
func summaryString(s sim.Summary) string {
	return fmt.Sprintf("registered %d, failed %d %v, unregistered %d (%d failed), keepalives %d ok %d failed, queries %d",
		s.Registered, s.Failed, s.Failures, s.Unregistered, s.UnregisterFailed, s.KeepalivesOK, s.KeepalivesFailed, s.QueriesAnswered)
}
