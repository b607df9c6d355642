package ha

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// env is one run: the control plane, kube-controller-manager, the stand-in kubelet and
// a client of the admin user.
type env struct {
	cp      *localcluster.ControlPlane
	c       client.Client
	kubelet *kubelet
	ports   ports
	// leaseDuration is how long a dead leader's Lease holds the others off.
	leaseDuration time.Duration
	leaseArgs     []string
}

// setup starts everything but the operator's Deployment. Without kube-controller-manager
// the test skips, except under CI, which must have built it.
func setup(t *testing.T) *env {
	t.Helper()
	kcmBin, err := kubetest.ControllerManagerPath()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; CI must provide it", err)
		}
		t.Skip(err)
	}
	assets, err := kubetest.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	built := make(chan error, 1)
	manager := filepath.Join(dir, "manager")
	go func() { built <- buildManager(manager) }()

	start := time.Now()
	cp, err := localcluster.StartControlPlane(filepath.Join(dir, "cluster"), assets)
	if err != nil {
		if berr := <-built; berr != nil {
			t.Log(berr)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	e := &env{cp: cp, c: adminClient(t, cp.KubeconfigPath)}
	e.leaseDuration, e.leaseArgs = leaseTiming(t, manager)
	startControllerManager(t, cp, kcmBin, dir)
	t.Logf("control plane, kube-controller-manager and the manager binary ready in %s", time.Since(start).Round(time.Millisecond))

	e.ports = ports{sip: freeSIPPort(t, "127.0.0.1"), metrics: freePort(t, "127.0.0.1"), probes: freePort(t, "127.0.0.1")}
	logDir := filepath.Join(dir, "pods")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.kubelet = newKubelet(e.c, cp, manager, logDir, newPodNetwork())
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.kubelet.run(ctx); close(done) }()
	// Registered after the control plane's, so it runs first: the kubelet stops
	// before the processes it started are stopped with the control plane.
	t.Cleanup(func() {
		stop()
		<-done
		for _, p := range e.kubelet.Problems() {
			t.Errorf("on the node: %s", p)
		}
		if t.Failed() {
			for pod, path := range e.kubelet.logs() {
				testutil.LogTail(t, "Pod "+pod, path, 30)
			}
		}
	})
	return e
}

// buildManager compiles the operator binary from this checkout, as the image holds it.
func buildManager(out string) error {
	cmd := exec.Command(testutil.GoTool(), "build", "-o", out, ".")
	cmd.Dir = kubetest.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	return nil
}

// defaultLeaseDuration is controller-runtime's, which the manager uses when it has no
// flag to change it.
const defaultLeaseDuration = 15 * time.Second

// leaseTiming is the lease duration of the test's managers, and the flags that set it:
// short ones when the manager has --leader-elect-lease-duration and its siblings, so that
// fail-over takes seconds; controller-runtime's defaults otherwise.
func leaseTiming(t *testing.T, manager string) (time.Duration, []string) {
	t.Helper()
	out, _ := exec.Command(manager, "--help").CombinedOutput() // flag prints usage and exits 0
	help := string(out)
	flags := []struct {
		name  string
		value time.Duration
	}{
		{"leader-elect-lease-duration", 6 * time.Second},
		{"leader-elect-renew-deadline", 4 * time.Second},
		{"leader-elect-retry-period", time.Second},
	}
	var args []string
	for _, f := range flags {
		if strings.Contains(help, "-"+f.name+" ") {
			args = append(args, fmt.Sprintf("--%s=%s", f.name, f.value))
		}
	}
	if len(args) != len(flags) {
		t.Logf("the manager has not all of the lease flags; fail-over waits out the default %s lease", defaultLeaseDuration)
		return defaultLeaseDuration, nil
	}
	return flags[0].value, args
}

// adminClient is a client of the admin user of kubeconfig, knowing the operator's types.
func adminClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := gbv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
