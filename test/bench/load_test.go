package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// startRegistrar runs sipd on loopback with one password for every device.
func startRegistrar(t *testing.T, pw string) *sipd.Server {
	t.Helper()
	srv, stop, err := startRegistrarAlone(context.Background(), sipdtest.OnePassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv
}

func deviceIDs(t *testing.T, first string, n int) []string {
	t.Helper()
	ids, err := fleetIDs(first, n)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// registerCase is a registration the lean client attempts, and whether it must fail.
type registerCase struct {
	id, password string
	wantErr      bool
}

// registerEach registers each case over one socket to addr and fails the test when an
// outcome differs from the case's.
func registerEach(t *testing.T, addr string, cases []registerCase) {
	t.Helper()
	c, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range cases {
		if err := c.register(tc.id, tc.password); (err != nil) != tc.wantErr {
			t.Errorf("register %s with %q: error %v, want error %v", tc.id, tc.password, err, tc.wantErr)
		}
	}
}

// TestRawRegister checks the lean client's digest answers against the real registrar:
// the right password registers, a wrong one is refused.
func TestRawRegister(t *testing.T) {
	srv := startRegistrar(t, "secret")
	cases := []registerCase{
		{"34020000001320000001", "secret", false},
		{"34020000001320000002", "not-the-secret", true},
	}
	registerEach(t, srv.UDPAddr(), cases)
	for _, tc := range cases {
		if registered := srv.Device(tc.id).Binding != nil; registered == tc.wantErr {
			t.Errorf("%s: registered %v, want %v", tc.id, registered, !tc.wantErr)
		}
	}
}

// TestKeepaliveLoad runs the keepalive load against the real registrar: keepalives of
// devices registered from the load's sockets are all answered 200 and counted; those of
// devices that unregistered meanwhile are counted as refused (404), not as answered.
func TestKeepaliveLoad(t *testing.T) {
	srv := startRegistrar(t, "secret")
	ids := deviceIDs(t, "34020000001320000001", 50)
	kf, err := registerKeepaliveFleet(srv.UDPAddr(), ids, 2, "secret")
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	if got := len(kf.conns); got != 2 {
		t.Fatalf("%d sockets, want 2", got)
	}
	for i, c := range kf.conns {
		for _, id := range kf.ids[i] {
			if b := srv.Device(id).Binding; b == nil || b.RemoteAddr != c.conn.LocalAddr().String() {
				t.Fatalf("%s bound at %+v, want from its load socket %s", id, b, c.conn.LocalAddr())
			}
		}
	}

	res, err := kf.load(context.Background(), 16, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	// UDP on a loaded machine may lose a stall's worth (the registrar drops what waited
	// past its queue delay), never a share that would hide a refusal or a miscount.
	if res.Answered200 == 0 || res.Lost*100 > res.Sent || len(res.Refused) != 0 || res.Answered200+res.Lost > res.Sent {
		t.Errorf("registered devices: %+v", res)
	}
	if got := srv.Device(ids[0]).Binding; got == nil || got.LastKeepalive.IsZero() {
		t.Errorf("keepalive not recorded by the registrar: %+v", got)
	}

	for _, id := range ids {
		srv.Drop(id)
	}
	res, err = kf.load(context.Background(), 4, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.Answered200 != 0 || res.Refused["404"] == 0 {
		t.Errorf("unregistered devices: %+v", res)
	}
}

// TestRegistrarHeap checks the in-process heap measurement runs and finds the bindings
// (the figure itself is machine-dependent and not asserted).
func TestRegistrarHeap(t *testing.T) {
	res, err := measureRegistrarHeap(context.Background(), 200, 4, "34020000001320000001", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Bindings != 200 || res.HeapAfterBytes == 0 {
		t.Errorf("%+v", res)
	}
}

// TestSumKeepalives: rounds join into one result whose rate is over the total time, not
// an average of rates, and whose refusals and CPU are the rounds' together.
func TestSumKeepalives(t *testing.T) {
	sum := sumKeepalives([]keepaliveResult{
		{Seconds: 10, Sent: 110, Answered200: 100, PerSecond: 10, Lost: 1, Refused: map[string]int64{"503": 2}, OperatorCPU: 1, GeneratorCPU: 0.5},
		{Seconds: 30, Sent: 950, Answered200: 900, PerSecond: 30, Lost: 3, Refused: map[string]int64{"503": 1, "404": 4}, OperatorCPU: 0.5, GeneratorCPU: 0.5},
	})
	if sum.PerSecond != 25 || sum.Answered200 != 1000 || sum.Sent != 1060 || sum.Lost != 4 || sum.Seconds != 40 {
		t.Errorf("sum %+v, want 1000 answered in 40 s = 25/s, 1060 sent, 4 lost", sum)
	}
	if sum.Refused["503"] != 3 || sum.Refused["404"] != 4 {
		t.Errorf("refused %v", sum.Refused)
	}
	if sum.OperatorCPU != 0.625 || sum.GeneratorCPU != 0.5 {
		t.Errorf("CPU %.3f/%.3f, want the time-weighted 0.625/0.5", sum.OperatorCPU, sum.GeneratorCPU)
	}
	if len(sum.RoundsPerSecond) != 2 || sum.RoundsPerSecond[0] != 10 || sum.RoundsPerSecond[1] != 30 {
		t.Errorf("rounds %v", sum.RoundsPerSecond)
	}
	if sumKeepalives(nil) != nil {
		t.Error("a sum of no rounds")
	}
}

// TestMain lets the test binary serve as the registrar-alone child, as the bench binary
// does: startRegistrarProcess runs os.Executable().
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveRegistrarArg {
		os.Exit(serveRegistrarAlone(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// TestRegistrarProcess: the registrar alone runs as a child process, registers a fleet
// with full digest exchanges, answers its keepalives, and ends when stopped.
func TestRegistrarProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := startRegistrarProcess(ctx, "child-Pa55", 0)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = p.stop()
		}
	}()
	if p.cmd.Process.Pid == os.Getpid() {
		t.Fatal("the registrar alone runs in the test's own process")
	}
	ids, err := fleetIDs("34020000001320000001", 50)
	if err != nil {
		t.Fatal(err)
	}
	if err := registerAll(p.addr, ids[:1], "wrong", 1); err == nil {
		t.Error("a wrong password registered")
	}
	kf, err := registerKeepaliveFleet(p.addr, ids, 4, "child-Pa55")
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	k, err := kf.load(ctx, 8, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if k.Answered200 == 0 || len(k.Refused) != 0 {
		t.Errorf("keepalives to the registered fleet: %d answered 200, refused %v", k.Answered200, k.Refused)
	}
	if cpu, err := p.cpuSeconds(); err != nil || cpu <= 0 {
		t.Errorf("child CPU %v, %v", cpu, err)
	}
	stopped = true
	if err := p.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// TestRegistrarProcessGOGC: the registrar alone runs at the operator's GOGC as
// go_gc_gogc_percent reports it (a number, or -1 for off), and with no setting of its
// own when none is known.
func TestRegistrarProcessGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	for _, tc := range []struct {
		gcPercent int
		want      string
	}{{37, "37"}, {-1, "off"}, {0, ""}} {
		t.Run(strconv.Itoa(tc.gcPercent), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			p, err := startRegistrarProcess(ctx, "child-Pa55", tc.gcPercent)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := p.stop(); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
			environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
			if err != nil {
				t.Fatal(err)
			}
			if gogc := lastEnv(environ, "GOGC"); gogc != tc.want {
				t.Errorf("the registrar alone runs with GOGC=%q, want %q", gogc, tc.want)
			}
		})
	}
}

// lastEnv is the value of name in a NUL-separated environment (/proc/<pid>/environ), or
// "". exec.Cmd passes one setting a name, the last it was given; should there be more,
// the last is taken, as exec.Cmd would have.
func lastEnv(environ []byte, name string) string {
	value := ""
	for _, kv := range strings.Split(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			value = v
		}
	}
	return value
}

// TestGCSetting: the report says at which GOGC the registrar alone ran, or that the
// results do not say.
func TestGCSetting(t *testing.T) {
	for gcPercent, want := range map[int]string{50: "GOGC 50 as the operator's", -1: "GOGC off as the operator's", 0: "GOGC unrecorded"} {
		if got := gcSetting(gcPercent); got != want {
			t.Errorf("gcSetting(%d) = %q, want %q", gcPercent, got, want)
		}
	}
}
