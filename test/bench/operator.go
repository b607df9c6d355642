package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/internal/localcluster"
)

// operator is the operator process under test.
type operator struct {
	cp      *localcluster.ControlPlane
	bin     string
	logPath string
	args    []string

	sipAddr, probeAddr, metricsAddr string
	// pprofAddr serves the operator's /debug/pprof (heapProfile).
	pprofAddr string
	child     *localcluster.Child
	log       *os.File
}

// scrape reads the operator's metrics.
func (o *operator) scrape(ctx context.Context) (samples, error) {
	return scrape(ctx, http.DefaultClient, "http://"+o.metricsAddr+"/metrics")
}

// start runs the operator and waits until its registrar serves.
func (o *operator) start(ctx context.Context) (time.Duration, error) {
	if o.log == nil {
		f, err := os.Create(o.logPath)
		if err != nil {
			return 0, err
		}
		o.log = f
	}
	begin := time.Now()
	c, err := o.cp.StartChildOutput(o.log, o.bin, append([]string{
		"--sip-listen=" + o.sipAddr,
		"--health-probe-bind-address=" + o.probeAddr,
		"--metrics-bind-address=" + o.metricsAddr,
		"--pprof-bind-address=" + o.pprofAddr,
	}, o.args...)...)
	if err != nil {
		return 0, err
	}
	o.child = c
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if resp, err := client.Get("http://" + o.probeAddr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(begin), nil
			}
		}
		select {
		case <-c.Done():
			return 0, fmt.Errorf("the operator exited before it was ready: %v (log: %s)", c.Err(), o.logPath)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, errors.New("the operator was not ready after 3 minutes")
		}
	}
}

// productionStatusInterval is the operator's default --keepalive-status-interval.
const productionStatusInterval = 5 * time.Minute

// restartWith stops the operator and starts it again with flag (a "--name=value") in
// place of its earlier value.
func (o *operator) restartWith(ctx context.Context, flag string) error {
	name, _, _ := strings.Cut(flag, "=")
	args := []string{flag}
	for _, a := range o.args {
		if n, _, _ := strings.Cut(a, "="); n != name {
			args = append(args, a)
		}
	}
	o.args = args
	if err := o.kill(); err != nil {
		return err
	}
	_, err := o.start(ctx)
	return err
}

// kill ends the operator with SIGKILL.
func (o *operator) kill() error {
	if err := syscall.Kill(o.child.PID(), syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-o.child.Done():
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the operator survived SIGKILL")
	}
}

func (o *operator) alive() error {
	select {
	case <-o.child.Done():
		return fmt.Errorf("the operator exited: %v (log: %s)", o.child.Err(), o.logPath)
	default:
		return nil
	}
}

// memory is the operator's resident memory, from /proc/<pid>/status.
type memory struct {
	RSSBytes     uint64 `json:"rss_bytes"`
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	// HeapInuseBytes is the Go heap in use (go_memstats_heap_inuse_bytes).
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	// GCPercent is the operator's GOGC (go_gc_gogc_percent): RSS follows it.
	GCPercent float64 `json:"gc_percent"`
}

func (o *operator) memory(ctx context.Context) (memory, error) {
	var m memory
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", o.child.PID()))
	if err != nil {
		return m, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			m.RSSBytes = kb << 10
		case "VmHWM":
			m.PeakRSSBytes = kb << 10
		}
	}
	metrics, err := o.scrape(ctx)
	if err != nil {
		return m, err
	}
	m.HeapInuseBytes = uint64(metrics.sum("go_memstats_heap_inuse_bytes", nil))
	m.GCPercent = metrics.sum("go_gc_gogc_percent", nil)
	return m, sc.Err()
}

// cpuSeconds is the CPU time the operator has used so far (user + system).
func (o *operator) cpuSeconds() (float64, error) {
	return processCPU(o.child.PID())
}

// processCPU reads utime + stime of pid from /proc/<pid>/stat.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// After "(comm)": state is field 3 of stat, utime 14 and stime 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100

// freeSIPAddr returns a loopback address whose port is free over both UDP and TCP.
func freeSIPAddr() (string, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr, nil
		}
	}
	return "", errors.New("no loopback port free over both UDP and TCP")
}

func freeTCPAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// heapProfile writes the operator's heap profile to path.
func (o *operator) heapProfile(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+o.pprofAddr+"/debug/pprof/heap", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("operator heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("operator heap profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}
