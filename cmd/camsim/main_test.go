package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sdp"
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

// TestCLIBadBehaviourFlags: flag values a device could not live by are refused before
// anything is sent.
func TestCLIBadBehaviourFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--record-order", "sideways"},
		{"--subscribe-refuse", "200"},
		{"--timezone", "Mars/Olympus_Mons"},
		{"--alarm-interval", "1ms"},
		{"--record-segment", "10ms"},
		{"--reboot-delay", "-1s"},
		{"--control-apply-delay", "1m"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want 2 and an error", args, code, stdout.String(), stderr.String())
		}
	}
}

// TestCLIDeviceStateLines: a control sent to a camsim device shows as a JSON line of
// kind "device" carrying the device's new state; the WVP flag shapes its INVITE answers.
func TestCLIDeviceStateLines(t *testing.T) {
	const id = "34020000001320000001"
	srv := startRegistrar(t, id, 1, "pw")
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--server", srv.UDPAddr(), "--id", id, "--password", "pw", "--duration", "3s", "--progress", "0",
			"--output", "json", "--wvp-compat", "--local-ip", "127.0.0.1"}, &stdout, &stderr)
	}()
	testutil.EventuallyTrue(t, 5*time.Second, "registration", func() bool { return srv.Device(id).Binding != nil })

	// The platform's DeviceControl, sent by hand to where the device registered from.
	body, err := manscdp.EncodeDeviceControl(7, id, manscdp.GuardSet)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", srv.Device(id).Binding.RemoteAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg := "MESSAGE sip:" + id + "@" + conn.RemoteAddr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + conn.LocalAddr().String() + ";rport;branch=z9hG4bK-cli-1\r\n" +
		"From: <sip:34020000002000000001@3402000000>;tag=cli\r\nTo: <sip:" + id + "@3402000000>\r\n" +
		"Call-ID: cli-control@127.0.0.1\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n" +
		"Content-Type: Application/MANSCDP+xml\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recv, err := rtprecv.Listen(200000001, false)
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	dlg, err := srv.Invite(ctx, sipd.DeviceRef{ID: id}, "", sdp.Session{Addr: "127.0.0.1", Port: recv.Port(), SSRC: "0200000001"})
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if dlg.RemoteTag != "" || dlg.Answer.Direction != "recvonly" {
		t.Errorf("--wvp-compat answer: remote tag %q, direction %q", dlg.RemoteTag, dlg.Answer.Direction)
	}
	_ = srv.Bye(ctx, dlg)

	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var f sim.Follower
	f.Follow(&stdout)
	st, ok := f.Device(id)
	if !ok || !st.Armed || st.LastCommand != "GuardCmd SetGuard" {
		t.Errorf("device state %+v (reported %v), want armed by GuardCmd SetGuard; stdout:\n%s", st, ok, stdout.String())
	}
	if s, err := f.Summary(); err != nil || s.Registered != 1 {
		t.Errorf("summary %+v, %v", s, err)
	}
}

// TestTextStateLine: the line for people names the device, what it was told and where
// it stands.
func TestTextStateLine(t *testing.T) {
	var out bytes.Buffer
	textState(&out)(sim.DeviceState{ID: "34020000001320000001", LastCommand: "preset goto 3", Armed: true, Alarming: []string{"x"},
		KeepaliveInterval: time.Minute, PTZ: map[string]sim.PTZState{"34020000001320000001": {PTZPosition: sim.PTZPosition{Pan: 64, Tilt: -1.5}}}})
	want := "device 34020000001320000001: preset goto 3; armed true, recording false, alarming x, 34020000001320000001 pan 64.0 tilt -1.5 zoom 0.0, keepalive 1m0s, 0 subscriptions, 0 streams\n"
	if out.String() != want {
		t.Errorf("line\n%q, want\n%q", out.String(), want)
	}
}

// TestDocsListEveryFlag: docs/camsim.md names every flag camsim has, and no other.
func TestDocsListEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../docs/camsim.md")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	run([]string{"--help"}, &stdout, &stderr)
	flags := map[string]bool{}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if name, ok := strings.CutPrefix(line, "  -"); ok {
			name, _, _ = strings.Cut(name, " ")
			flags[name] = true
			if !bytes.Contains(doc, []byte("`--"+name+"`")) {
				t.Errorf("--%s is not in docs/camsim.md", name)
			}
		}
	}
	if len(flags) < 30 {
		t.Fatalf("read %d flags from --help:\n%s", len(flags), stderr.String())
	}
	for _, m := range regexp.MustCompile("`--([a-z0-9-]+)").FindAllSubmatch(doc, -1) {
		if !flags[string(m[1])] {
			t.Errorf("docs/camsim.md names --%s, which camsim does not have", m[1])
		}
	}
}
