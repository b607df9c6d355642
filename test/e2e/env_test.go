package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// keepaliveStatusInterval is the operator's --keepalive-status-interval in the suite:
// short, so that a status that must catch up does so within seconds, not minutes.
const keepaliveStatusInterval = 10 * time.Second

// env is one run of the suite: the control plane, the binaries built from this checkout,
// and the operator process.
type env struct {
	cp      *localcluster.ControlPlane
	dir     string
	kubectl string // path of the kubectl binary beside the control plane's

	operatorBin, camsimBin string
	// sipAddr is where the operator's registrar listens (UDP and TCP); the probe and
	// metrics addresses are its HTTP endpoints.
	sipAddr, probeAddr, metricsAddr string

	opLog *os.File // the operator's output, shown when a test fails
	op    *localcluster.Child
}

// setup starts the control plane, builds the operator and camsim (meanwhile), and starts
// the operator. Everything is stopped when the test ends.
func setup(t *testing.T) *env {
	t.Helper()
	assets, err := kubetest.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: t.TempDir(), kubectl: filepath.Join(assets, "kubectl")}
	if _, err := os.Stat(e.kubectl); err != nil {
		t.Fatalf("kubectl is expected beside kube-apiserver (run `make envtest`): %v", err)
	}

	built := make(chan error, 1)
	go func() { built <- e.build() }()

	start := time.Now()
	e.cp, err = localcluster.StartControlPlane(filepath.Join(e.dir, "cluster"), assets)
	if err != nil {
		if berr := <-built; berr != nil {
			t.Log(berr)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.cp.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	t.Logf("control plane up and binaries built in %s", time.Since(start).Round(time.Millisecond))

	e.opLog, err = os.Create(filepath.Join(e.dir, "operator.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			testutil.LogTail(t, "operator", e.opLog.Name(), 150)
		}
		e.opLog.Close()
	})
	e.sipAddr = testutil.FreeSIPAddr(t)
	e.probeAddr, e.metricsAddr = testutil.FreeTCPAddr(t), testutil.FreeTCPAddr(t)
	e.startOperator(t)
	return e
}

// build compiles the operator and camsim from this checkout, as users run them.
func (e *env) build() error {
	out := filepath.Join(e.dir, "bin")
	cmd := exec.Command(testutil.GoTool(), "build", "-o", out+string(filepath.Separator), ".", "./cmd/camsim")
	cmd.Dir = kubetest.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	e.operatorBin, e.camsimBin = filepath.Join(out, "camera-operator"), filepath.Join(out, "camsim")
	return nil
}

// startOperator runs the operator binary against the control plane, with SIP on
// e.sipAddr, and waits until its registrar serves.
func (e *env) startOperator(t *testing.T) {
	t.Helper()
	fmt.Fprintf(e.opLog, "=== operator started by %s at %s\n", t.Name(), time.Now().Format(time.RFC3339Nano))
	e.op = e.launchOperator(t, e.opLog, e.sipAddr, e.probeAddr, "--metrics-bind-address="+e.metricsAddr)
}

// launchOperator starts one operator process with the suite's flags, SIP on sipAddr and
// its probes on probeAddr, plus extra, and waits until its registrar serves.
func (e *env) launchOperator(t *testing.T, out io.Writer, sipAddr, probeAddr string, extra ...string) *localcluster.Child {
	t.Helper()
	args := append([]string{
		"--sip-listen=" + sipAddr,
		"--health-probe-bind-address=" + probeAddr,
		"--keepalive-status-interval=" + keepaliveStatusInterval.String(),
		"--log-format=text",
		"--log-level=debug",
	}, extra...)
	op, err := e.cp.StartChildOutput(out, e.operatorBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	waitServing(t, op, sipAddr, probeAddr)
	return op
}

// waitServing waits until op answers 200 on /readyz and its registrar accepts TCP
// connections on sipAddr: it listens only once it leads and has seeded its
// registrations from Camera status.
func waitServing(t *testing.T, op *localcluster.Child, sipAddr, probeAddr string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if serving(client, sipAddr, probeAddr) {
			return
		}
		select {
		case <-op.Done():
			t.Fatalf("the operator exited before it served: %v", op.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the operator did not serve SIP within 2 minutes")
		}
	}
}

func serving(client *http.Client, sipAddr, probeAddr string) bool {
	resp, err := client.Get("http://" + probeAddr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", sipAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// killOperator ends the operator with SIGKILL, as a node failure or the OOM killer
// would: no clean shutdown, nothing flushed.
func (e *env) killOperator(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(e.op.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.op.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the operator survived SIGKILL")
	}
	fmt.Fprintf(e.opLog, "=== operator killed by %s at %s\n", t.Name(), time.Now().Format(time.RFC3339Nano))
}

// operatorAlive fails the test when the operator has exited.
func (e *env) operatorAlive(t *testing.T) {
	t.Helper()
	select {
	case <-e.op.Done():
		t.Fatalf("the operator exited: %v", e.op.Err())
	default:
	}
}
