package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sippResult is the outcome of a sipp registration load.
type sippResult struct {
	Scenario   string `json:"scenario"`
	Calls      int    `json:"calls"`
	Rate       int    `json:"rate_limit_cps"`
	Concurrent int    `json:"max_concurrent_calls"`
	// Successful and Failed are sipp's call counts; one call is one full digest
	// registration (REGISTER, 401, REGISTER, 200).
	Successful      int64   `json:"successful"`
	Failed          int64   `json:"failed"`
	Retransmissions int64   `json:"retransmissions"`
	PerSecond       float64 `json:"registrations_per_second"`
	// LatencyMs is the REGISTER→200 time of each call (challenge round trip included),
	// from sipp's response-time trace (millisecond resolution).
	LatencyMs latency `json:"latency_ms"`
	// OperatorCPU and SippCPU are the cores each used during the load.
	OperatorCPU float64 `json:"operator_cpu_cores"`
	SippCPU     float64 `json:"sipp_cpu_cores"`
}

// latency percentiles in milliseconds.
type latency struct {
	P50     float64 `json:"p50"`
	P99     float64 `json:"p99"`
	Max     float64 `json:"max"`
	Samples int     `json:"samples"`
}

// runSipp registers each of ids once with sipp over UDP, at most rate calls per second
// and limit at once, and reads back sipp's figures.
func runSipp(ctx context.Context, sipp, scenario, dir, server string, ids []string, password string, rate, limit int) (sippResult, error) {
	res := sippResult{Scenario: scenario, Calls: len(ids), Rate: rate, Concurrent: limit}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	csv := filepath.Join(dir, "devices.csv")
	if err := writeSippDevices(csv, ids, func(string) string { return password }); err != nil {
		return res, err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	for _, f := range old {
		_ = os.Remove(f)
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, server,
		"-sf", scenario, "-inf", csv, "-m", strconv.Itoa(len(ids)),
		"-r", strconv.Itoa(rate), "-rp", "1000", "-l", strconv.Itoa(limit),
		"-t", "u1", "-i", "127.0.0.1", "-p", "0",
		// sipp's default 64 KiB socket buffers drop answers at these rates.
		"-buff_size", strconv.Itoa(4<<20),
		"-nostdin", "-timeout", "300s", "-timeout_error",
		"-trace_rtt", "-rtt_freq", "1000", "-trace_err")
	cmd.Dir = dir
	start := time.Now()
	out, runErr := cmd.CombinedOutput()
	if cmd.ProcessState != nil {
		res.SippCPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / time.Since(start).Seconds()
	}
	_ = os.WriteFile(filepath.Join(dir, "sipp.out"), out, 0o644)
	screen := string(out)
	// parseSippScreen's counts: a call register-load.xml ended on a 503 is a failure.
	counts := parseSippScreen(screen)
	res.Successful, res.Failed, res.Retransmissions = counts.Successful, counts.Failed, counts.Retransmissions
	res.PerSecond = lastRate(screen)
	rtts, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	if len(rtts) > 0 {
		lat, err := rttLatency(rtts[0])
		if err != nil {
			return res, err
		}
		res.LatencyMs = lat
	}
	if runErr != nil {
		return res, fmt.Errorf("sipp: %v (see %s)", runErr, filepath.Join(dir, "sipp.out"))
	}
	return res, nil
}

// lastCounter reads the cumulative column of a counter row of sipp's last statistics
// screen, such as "  Successful call        |        0       |    10000".
func lastCounter(screen, name string) int64 {
	var v int64
	for _, line := range strings.Split(screen, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), name) {
			continue
		}
		cols := strings.Split(line, "|")
		if n, err := strconv.ParseInt(strings.TrimSpace(cols[len(cols)-1]), 10, 64); err == nil {
			v = n
		}
	}
	return v
}

var callRate = regexp.MustCompile(`Call Rate\s+\|.*\|\s*([0-9.]+) cps`)

// lastRate reads the cumulative call rate of sipp's last statistics screen.
func lastRate(screen string) float64 {
	var v float64
	for _, m := range callRate.FindAllStringSubmatch(screen, -1) {
		v, _ = strconv.ParseFloat(m[1], 64)
	}
	return v
}

// rttLatency reads sipp's response-time trace (Date_ms;response_time_ms;rtd_no).
func rttLatency(path string) (latency, error) {
	f, err := os.Open(path)
	if err != nil {
		return latency{}, err
	}
	defer f.Close()
	var v []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), ";")
		if len(cols) < 2 {
			continue
		}
		if ms, err := strconv.ParseFloat(strings.TrimSpace(cols[1]), 64); err == nil {
			v = append(v, ms)
		}
	}
	if err := sc.Err(); err != nil {
		return latency{}, err
	}
	return percentiles(v), nil
}

func percentiles(v []float64) latency {
	if len(v) == 0 {
		return latency{}
	}
	sort.Float64s(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v))))] }
	return latency{P50: at(0.50), P99: at(0.99), Max: v[len(v)-1], Samples: len(v)}
}
