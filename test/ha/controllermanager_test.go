package ha

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// controllerManagers are the controllers of kube-controller-manager this test needs: a
// Deployment makes ReplicaSets, a ReplicaSet makes Pods. The rest (garbage collection,
// node lifecycle, endpoints) would only act on the fake node and the selector-less
// Service, where they have nothing to do or would fight the test.
const controllerManagers = "deployment-controller,replicaset-controller"

// startControllerManager runs kube-controller-manager against the control plane as the
// admin user, alone (no leader election), with its secure port on a free loopback port,
// and waits until its /healthz answers.
func startControllerManager(t *testing.T, cp *localcluster.ControlPlane, bin, dir string) *localcluster.Child {
	t.Helper()
	logPath := filepath.Join(dir, "kube-controller-manager.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			testutil.LogTail(t, "kube-controller-manager", logPath, 40)
		}
		out.Close()
	})
	port := freePort(t, "127.0.0.1")
	kcm, err := cp.StartChildOutput(out, bin,
		"--kubeconfig="+cp.KubeconfigPath,
		// Its secure port serves only /healthz here, to anyone; delegating the rest to
		// the API server as the admin user keeps it from refusing to start. The
		// request-header CA it would look up is one envtest does not set.
		"--authentication-kubeconfig="+cp.KubeconfigPath,
		"--authorization-kubeconfig="+cp.KubeconfigPath,
		"--authentication-skip-lookup",
		"--controllers="+controllerManagers,
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir="+filepath.Join(dir, "kcm-certs"),
	)
	if err != nil {
		t.Fatal(err)
	}
	// /healthz is among the paths it serves to anyone (--authorization-always-allow-paths).
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // its own self-signed certificate
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	testutil.Eventually(t, 60*time.Second, "kube-controller-manager healthy", func() error {
		select {
		case <-kcm.Done():
			t.Fatalf("kube-controller-manager exited: %v", kcm.Err())
		default:
		}
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	})
	return kcm
}
