// Command dev is what `make dev` runs: a local control plane (etcd and kube-apiserver
// from hack/envtest's binaries, state under bin/dev), a kubeconfig for it, the CRDs, and
// the operator as a child process with SIP on 127.0.0.1:5060. Ctrl-C stops them all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/internal/localcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	binDir := flag.String("bin-dir", "bin", "Directory of built binaries; the control plane's state goes in its dev/ subdirectory.")
	assets := flag.String("assets", "", "Directory holding kube-apiserver, etcd and kubectl (default: KUBEBUILDER_ASSETS or bin/k8s/...).")
	manager := flag.String("manager", "bin/manager", "The operator binary to run.")
	sipListen := flag.String("sip-listen", "127.0.0.1:5060", "Address the operator's SIP registrar listens on (UDP and TCP).")
	probeAddr := flag.String("health-probe-bind-address", "127.0.0.1:8081", "The operator's probe address; dev waits for /readyz.")
	metricsAddr := flag.String("metrics-bind-address", "127.0.0.1:8080", "The operator's metrics address.")
	flag.Parse()

	stateDir, err := filepath.Abs(filepath.Join(*binDir, "dev"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintln(os.Stderr, "dev: starting etcd and kube-apiserver...")
	cp, err := localcluster.StartControlPlane(stateDir, *assets)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "dev: stopping the control plane...")
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "dev:", err)
		}
	}()

	args := append([]string{
		"--sip-listen=" + *sipListen,
		"--health-probe-bind-address=" + *probeAddr,
		"--metrics-bind-address=" + *metricsAddr,
		"--log-format=text",
	}, flag.Args()...)
	op, err := cp.StartChild(*manager, args...)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "dev: stopping the operator...")
		op.Stop(localcluster.StopTimeout)
	}()

	if err := waitReady(ctx, "http://"+*probeAddr+"/readyz", op); err != nil {
		return err
	}
	printInstructions(cp, *sipListen)

	select {
	case <-ctx.Done():
		return nil
	case <-op.Done():
		return fmt.Errorf("the operator exited: %v", op.Err())
	}
}

func printInstructions(cp *localcluster.ControlPlane, sipListen string) {
	exports := "export KUBECONFIG=" + cp.KubeconfigPath
	if _, err := exec.LookPath("kubectl"); err != nil {
		exports = fmt.Sprintf("export KUBECONFIG=%s PATH=%s:$PATH", cp.KubeconfigPath, cp.AssetsDir)
	}
	fmt.Printf(`
camera-operator is running: Kubernetes v%s, SIP registrar on %s (UDP and TCP).
In another terminal:

    %s
    kubectl apply -f config/samples/

then watch them with 'kubectl get cameras -o wide'. Press Ctrl-C here to stop everything.

`, cp.KubeVersion, sipListen, exports)
}

// waitReady polls the operator's readiness endpoint until it answers 200 (the SIP
// registrar is serving), the operator exits, or ctx ends.
func waitReady(ctx context.Context, url string, op *localcluster.Child) error {
	deadline := time.After(2 * time.Minute)
	for {
		if probe(url) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("interrupted")
		case <-op.Done():
			return fmt.Errorf("the operator exited before it was ready: %v", op.Err())
		case <-deadline:
			return fmt.Errorf("the operator was not ready after 2 minutes (%s)", url)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
