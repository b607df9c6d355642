package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A comparison step offered by the lean client (leanload.go) instead of sipp. The client
// runs as a process of its own, this binary with leanLoadArg, so that it is placed as sipp
// is (under taskset, on the peers' core in the production-like topology) and shares the
// machine as sipp does.

// leanLoadArg, as the bench's first argument, makes it the lean client: it offers the
// load its flags say and prints its counts as JSON.
const leanLoadArg = "lean-register-load"

// leanLoadMain is the child's main.
func leanLoadMain(args []string) int {
	fs := flag.NewFlagSet(leanLoadArg, flag.ContinueOnError)
	server := fs.String("server", "", "the registrar's UDP address (ip:port)")
	port := fs.Int("port", 0, "the local UDP port (0: any)")
	csv := fs.String("csv", "", "the devices, in sipp's injection file format (writeSippDevices)")
	rate := fs.Int("rate", 0, "calls offered per second")
	calls := fs.Int("calls", 0, "calls to offer")
	drain := fs.Duration("drain", sippDrain, "how long the last calls may take to end")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ap, err := netip.ParseAddrPort(*server)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lean client:", err)
		return 2
	}
	devices, err := readSippDevices(*csv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lean client:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	counts, err := runLeanLoad(ctx, leanConfig{server: ap, port: *port, devices: devices, rate: *rate, calls: *calls, drain: *drain})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lean client:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(counts); err != nil {
		fmt.Fprintln(os.Stderr, "lean client:", err)
		return 1
	}
	return 0
}

// readSippDevices reads the devices and passwords of a file writeSippDevices wrote.
func readSippDevices(path string) ([]leanDevice, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []leanDevice
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ";")
		if len(fields) < 4 {
			continue // the SEQUENTIAL line
		}
		_, pw, ok := strings.Cut(fields[3], "password=")
		if !ok {
			return nil, fmt.Errorf("%s: no password in %q", path, s.Text())
		}
		out = append(out, leanDevice{id: fields[0], password: strings.TrimSuffix(pw, "]")})
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no devices", path)
	}
	return out, nil
}

// runLeanStep offers l's load with the lean client in a process of its own, placed as
// sipp would be, and reads back its counts as a comparison step.
func runLeanStep(ctx context.Context, l sippLoad) (compareStep, error) {
	calls, drain := l.plan()
	res := compareStep{Rate: l.rate, Calls: calls}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, drain+30*time.Second)
	defer cancel()
	args := []string{leanLoadArg, "-server", l.server, "-port", strconv.Itoa(l.port), "-csv", l.csv,
		"-rate", strconv.Itoa(l.rate), "-calls", strconv.Itoa(calls), "-drain", sippDrain.String()}
	cmd := sippCommand(ctx, self, l.cpus, args)
	cmd.Dir = l.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	mark, markErr := markUDPDrops(l.server)
	out, runErr := cmd.Output()
	if markErr == nil {
		if d, err := mark.since(); err == nil {
			res.Drops = &d
		}
	}
	_ = os.WriteFile(filepath.Join(l.dir, "lean.out"), append(out, stderr.String()...), 0o644)
	if runErr != nil {
		return res, fmt.Errorf("lean client: %w: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	var c leanCounts
	if err := json.Unmarshal(out, &c); err != nil {
		return res, fmt.Errorf("lean client printed no counts: %w", err)
	}
	return leanStep(res, c), nil
}

// leanStep fills step's counts from the lean client's, in sipp's terms: its achieved
// rate is the calls over the time from the first to the end of the last, as sipp's
// cumulative call rate is.
func leanStep(step compareStep, c leanCounts) compareStep {
	step.Counts = c.sippCounts
	if c.Seconds > 0 {
		step.AchievedRate = float64(c.Created) / c.Seconds
	}
	return step
}
