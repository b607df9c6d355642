package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// startRegistrar runs sipd with count devices from first, all with password pw.
func startRegistrar(t *testing.T, first string, count int, pw string) *sipd.Server {
	t.Helper()
	store := map[string]string{}
	for i := range count {
		id, err := sim.NextID(first, i)
		if err != nil {
			t.Fatal(err)
		}
		store[id] = pw
	}
	return sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(store))
}

func TestCLI(t *testing.T) {
	const first, n = "34020000001320000001", 30
	srv := startRegistrar(t, first, n, "pw")
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		check     func(t *testing.T, s sim.Summary)
		wantNoOut bool
	}{
		{
			name: "once over UDP",
			args: []string{"--server", srv.UDPAddr(), "--password", "pw", "--once"},
			check: func(t *testing.T, s sim.Summary) {
				if s.Devices != n || s.Registered != n || s.Failed != 0 || s.Unregistered != n || s.Transport != "UDP" || s.LatencyMs.Samples != n {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "once over TCP, rate limited",
			args: []string{"--server", srv.TCPAddr(), "--transport", "tcp", "--password", "pw", "--once", "--rate", "500", "--endpoints", "4"},
			check: func(t *testing.T, s sim.Summary) {
				if s.Registered != n || s.Failed != 0 || s.Unregistered != n || s.Transport != "TCP" {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name:     "once with a wrong password",
			args:     []string{"--server", srv.UDPAddr(), "--password", "nope", "--once", "--count", "3"},
			wantCode: 1,
			check: func(t *testing.T, s sim.Summary) {
				if s.Registered != 0 || s.Failed != 3 || s.Failures["403"] != 3 {
					t.Errorf("summary %+v: want three 403", s)
				}
			},
		},
		{
			name: "run for a while with keepalives",
			args: []string{"--server", srv.UDPAddr(), "--password", "pw", "--count", "5", "--duration", "1s", "--keepalive-interval", "100ms"},
			check: func(t *testing.T, s sim.Summary) {
				if s.Registered != 5 || s.KeepalivesOK < 10 || s.KeepalivesFailed != 0 || s.Unregistered != 5 {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{name: "unknown flag", args: []string{"--bogus"}, wantCode: 2, wantNoOut: true},
		{name: "bad transport", args: []string{"--transport", "sctp"}, wantCode: 2, wantNoOut: true},
		{name: "bad output", args: []string{"--output", "yaml"}, wantCode: 2, wantNoOut: true},
		{name: "ID overflow", args: []string{"--id", "99999999999999999999", "--count", "2"}, wantCode: 2, wantNoOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--id", first, "--count", strconv.Itoa(n), "--output", "json", "--progress", "0", "--timeout", "5s"}, tt.args...)
			start := time.Now()
			code := run(args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if tt.wantNoOut {
				if stdout.Len() != 0 || stderr.Len() == 0 {
					t.Errorf("stdout %q stderr %q: want only an error", stdout.String(), stderr.String())
				}
				return
			}
			var r sim.Report
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || r.Kind != sim.ReportSummary {
				t.Fatalf("stdout is not one JSON summary line (%v): %s", err, stdout.String())
			}
			s := r.Summary
			tt.check(t, s)
			t.Logf("%s in %v: %.0f reg/s, p50 %.2fms p99 %.2fms", tt.name, time.Since(start).Round(time.Millisecond), s.RegistrationsPerSecond, s.LatencyMs.P50, s.LatencyMs.P99)
		})
	}
}

func TestCLITextSummaryAndProgress(t *testing.T) {
	const first = "34020000001320000001"
	srv := startRegistrar(t, first, 2, "pw")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--server", srv.UDPAddr(), "--id", first, "--count", "2", "--password", "pw",
		"--duration", "300ms", "--progress", "50ms", "--keepalive-interval", "50ms"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"registrations           2 ok, 0 failed", "REGISTER→200 latency", "unregistrations         2 ok"} {
		if !bytes.Contains(stdout.Bytes(), []byte(want)) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if !bytes.Contains(stderr.Bytes(), []byte("registered 2/2")) {
		t.Errorf("no progress line on stderr:\n%s", stderr.String())
	}
}

// TestCLIJSONLines checks --output json: progress reports and then the summary, each a
// JSON line on stdout, and no human progress line on stderr.
func TestCLIJSONLines(t *testing.T) {
	const first = "34020000001320000001"
	srv := startRegistrar(t, first, 2, "pw")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--server", srv.UDPAddr(), "--id", first, "--count", "2", "--password", "pw",
		"--duration", "300ms", "--progress", "50ms", "--keepalive-interval", "50ms", "--output", "json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var reports []sim.Report
	if err := sim.ReadReports(&stdout, func(r sim.Report) { reports = append(reports, r) }); err != nil {
		t.Fatal(err)
	}
	if len(reports) < 2 {
		t.Fatalf("%d reports, want progress reports and a summary", len(reports))
	}
	for i, r := range reports[:len(reports)-1] {
		if r.Kind != sim.ReportProgress || r.Devices != 2 || r.At.IsZero() {
			t.Errorf("report %d is not a progress report of 2 devices: %+v", i, r)
		}
	}
	if last := reports[len(reports)-1]; last.Kind != sim.ReportSummary || last.Registered != 2 || last.Unregistered != 2 {
		t.Errorf("last report is not the summary of 2 registrations and unregistrations: %+v", last)
	}
	if bytes.Contains(stderr.Bytes(), []byte("registered 2/2")) {
		t.Errorf("human progress line on stderr in JSON mode:\n%s", stderr.String())
	}
}
