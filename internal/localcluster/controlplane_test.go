package localcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// TestControlPlaneLifecycle runs what `make dev` runs, twice on the same state directory:
// the control plane comes up with the CRD and a working kubeconfig, a child runs against
// it, Stop leaves no process behind, and a second start finds the first one's objects.
func TestControlPlaneLifecycle(t *testing.T) {
	assets, err := kubetest.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()

	first := startAndCheck(t, stateDir, assets)
	c := kubeClient(t, first.KubeconfigPath)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kept-across-restarts"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace through the written kubeconfig: %v", err)
	}
	stopAndCheck(t, first)

	second := startAndCheck(t, stateDir, assets)
	c = kubeClient(t, second.KubeconfigPath)
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(ns), &corev1.Namespace{}); err != nil {
		t.Fatalf("etcd state lost between two runs: %v", err)
	}
	stopAndCheck(t, second)
}

// startAndCheck starts a control plane and a child, and checks the CRD is served.
func startAndCheck(t *testing.T, stateDir, assets string) *ControlPlane {
	t.Helper()
	cp, err := StartControlPlane(stateDir, assets)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.StartChild("/bin/sleep", "300"); err != nil {
		_ = cp.Stop()
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := kubeClient(t, cp.KubeconfigPath).Get(context.Background(), client.ObjectKey{Name: "cameras.gb28181.io"}, crd); err != nil {
		_ = cp.Stop()
		t.Fatalf("the Camera CRD is not installed: %v", err)
	}
	return cp
}

// stopAndCheck stops cp and fails if any process it started is still alive.
func stopAndCheck(t *testing.T, cp *ControlPlane) {
	t.Helper()
	started, err := childrenOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// etcd, kube-apiserver and the sleep child at least.
	if len(started) < 3 {
		t.Fatalf("expected at least 3 child processes, found %v", started)
	}
	if err := cp.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, pid := range started {
		if processExists(pid) {
			t.Errorf("process %d still running after Stop", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cp.KubeconfigPath), "pids")); !os.IsNotExist(err) {
		t.Errorf("pid file left after a clean stop: %v", err)
	}
}

func kubeClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = apiextensionsv1.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaleProcessesStopped checks that a launcher ends what a killed earlier run left
// (recorded PID and executable match) and nothing else.
func TestStaleProcessesStopped(t *testing.T) {
	leftover := exec.Command("/bin/sleep", "300")
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := make(chan struct{})
	go func() { _ = leftover.Wait(); close(reaped) }()
	bystander := exec.Command("/bin/sleep", "300")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bystander.Process.Kill(); _ = bystander.Wait() })

	p := &pidFile{path: filepath.Join(t.TempDir(), "pids")}
	if err := p.recordChildrenOf(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	recorded, _ := os.ReadFile(p.path)
	// Forge the bystander's line so its executable does not match: it must survive.
	var forged strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(recorded)), "\n") {
		pid, _, _ := strings.Cut(line, " ")
		if pid == strconv.Itoa(bystander.Process.Pid) {
			line = pid + " /not/the/same/program"
		}
		forged.WriteString(line + "\n")
	}
	if err := os.WriteFile(p.path, []byte(forged.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := p.stopRecorded(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reaped:
	case <-time.After(15 * time.Second):
		t.Fatal("the recorded leftover process was not stopped")
	}
	if !processExists(bystander.Process.Pid) {
		t.Fatal("a process whose executable did not match was stopped")
	}
	if _, err := os.Stat(p.path); !os.IsNotExist(err) {
		t.Fatal("pid file not removed")
	}
}

// TestAPIServerRestart stops kube-apiserver alone and starts it again: the API is gone
// meanwhile, and the kubeconfig written at start works again afterwards.
func TestAPIServerRestart(t *testing.T) {
	assets, err := kubetest.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	cp, err := StartControlPlane(t.TempDir(), assets)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	c := kubeClient(t, cp.KubeconfigPath)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kept-across-apiserver-restarts"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}

	if err := cp.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{}); err == nil {
		t.Fatal("the API answered while kube-apiserver was stopped")
	}

	if err := cp.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	// A new client from the same kubeconfig: the certificates must still match.
	if err := kubeClient(t, cp.KubeconfigPath).Get(context.Background(), client.ObjectKeyFromObject(ns), &corev1.Namespace{}); err != nil {
		t.Fatalf("the API after the restart, with the kubeconfig written at start: %v", err)
	}
}
