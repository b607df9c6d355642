package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// devices is one camsim process: one simulated device, or a fleet with --count.
type devices struct {
	name string
	cmd  *exec.Cmd
	out  bytes.Buffer // stdout: the JSON summary printed at exit

	mu    sync.Mutex
	last  progress
	lines []string // the last lines of stderr: progress and logs

	done chan struct{} // closed when the process has exited and its output is read
	err  error
}

// progress is camsim's live progress line: running totals since it started.
type progress struct {
	Registered, Devices, Failed             int64
	KeepalivesOK, KeepalivesFailed, Queries int64
}

var progressLine = regexp.MustCompile(`^registered (\d+)/(\d+)\s+failed (\d+)\s.*keepalives (\d+) ok (\d+) failed\s+queries (\d+)`)

const keptLines = 60

// startCamsim runs camsim toward the operator's registrar with args added to the suite's
// defaults: JSON summary, a progress line every 200 ms, and keepalives at the Cameras'
// pace. It is interrupted (and so unregisters) when the test ends, if still running.
func (e *env) startCamsim(t *testing.T, name string, args ...string) *devices {
	t.Helper()
	base := []string{
		"--server", e.sipAddr,
		"--json",
		"--progress", "200ms",
		"--log-level", "info",
		"--keepalive-interval", deviceKeepalive.String(),
	}
	d := &devices{name: name, done: make(chan struct{})}
	d.cmd = exec.Command(e.camsimBin, append(base, args...)...)
	// Never outlive the test binary, whatever happens to it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	d.cmd.Stdout = &d.out
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.read(stderr)
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

// read follows camsim's stderr, keeping the latest progress and the last lines.
func (d *devices) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		d.mu.Lock()
		if p, ok := parseProgress(line); ok {
			d.last = p
		}
		if len(d.lines) == keptLines {
			d.lines = d.lines[1:]
		}
		d.lines = append(d.lines, line)
		d.mu.Unlock()
	}
}

func parseProgress(line string) (progress, bool) {
	m := progressLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return progress{}, false
	}
	n := make([]int64, len(m)-1)
	for i, s := range m[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return progress{}, false
		}
		n[i] = v
	}
	return progress{Registered: n[0], Devices: n[1], Failed: n[2], KeepalivesOK: n[3], KeepalivesFailed: n[4], Queries: n[5]}, true
}

func (d *devices) tail() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "\n")
}

// progress is the latest progress line.
func (d *devices) progress() progress {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// waitProgress waits until cond holds for a progress line, failing the test after
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
	var s sim.Summary
	if err := json.Unmarshal(d.out.Bytes(), &s); err != nil {
		t.Fatalf("camsim %s summary %q: %v", d.name, d.out.String(), err)
	}
	return s
}

// summaryString is the summary's figures that the suite checks, for messages.
func summaryString(s sim.Summary) string {
	return fmt.Sprintf("registered %d, failed %d %v, unregistered %d (%d failed), keepalives %d ok %d failed, queries %d",
		s.Registered, s.Failed, s.Failures, s.Unregistered, s.UnregisterFailed, s.KeepalivesOK, s.KeepalivesFailed, s.QueriesAnswered)
}
