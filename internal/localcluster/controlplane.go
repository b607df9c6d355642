package localcluster

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// ControlPlane is a running etcd + kube-apiserver with the operator's CRDs, a kubeconfig
// for an admin user, and the child processes started against it.
type ControlPlane struct {
	KubeconfigPath string
	AssetsDir      string
	KubeVersion    string

	env      *envtest.Environment
	pids     *pidFile
	children []*Child
	// certDir holds kube-apiserver's serving certificates and client CA. It is ours,
	// not envtest's, so that StartAPIServer brings it back with the same certificates.
	certDir string
}

// StartControlPlane starts etcd (its data kept in stateDir/etcd, so Cameras survive a
// restart of `make dev`) and kube-apiserver, installs the CRDs and writes
// stateDir/kubeconfig. Processes left behind by an earlier run that was killed are
// stopped first, recognised by the PIDs and executables it recorded.
func StartControlPlane(stateDir, assetsDir string) (*ControlPlane, error) {
	if assetsDir == "" {
		var err error
		if assetsDir, err = kubetest.AssetsDir(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	pids := &pidFile{path: filepath.Join(stateDir, "pids")}
	if err := pids.stopRecorded(); err != nil {
		return nil, err
	}

	// Fresh certificates each run: the serving CA lives only in memory, and the written
	// kubeconfig must match it.
	certDir, err := os.MkdirTemp("", "localcluster-apiserver-")
	if err != nil {
		return nil, err
	}
	env := kubetest.NewWithAssets(assetsDir)
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(stateDir, "etcd")}
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certDir}
	if _, err := env.Start(); err != nil {
		_ = os.RemoveAll(certDir)
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	cp := &ControlPlane{
		KubeconfigPath: filepath.Join(stateDir, "kubeconfig"),
		AssetsDir:      assetsDir,
		KubeVersion:    kubetest.KubeVersion,
		env:            env,
		pids:           pids,
		certDir:        certDir,
	}
	// Record etcd and kube-apiserver at once, so a killed launcher's next run can end them.
	if err := pids.recordChildrenOf(os.Getpid()); err != nil {
		_ = cp.Stop()
		return nil, err
	}

	admin, err := env.AddUser(envtest.User{Name: "dev-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		_ = cp.Stop()
		return nil, fmt.Errorf("creating the admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		_ = cp.Stop()
		return nil, err
	}
	if err := os.WriteFile(cp.KubeconfigPath, kubeconfig, 0o600); err != nil {
		_ = cp.Stop()
		return nil, err
	}
	return cp, nil
}

// StartChild runs path with args against the control plane (KUBECONFIG set), its output
// on this process's. The child is stopped by Stop, and by the kernel if this process dies
// first.
func (cp *ControlPlane) StartChild(path string, args ...string) (*Child, error) {
	return cp.StartChildOutput(os.Stdout, path, args...)
}

// StartChildOutput is StartChild with the child's stdout and stderr written to out.
func (cp *ControlPlane) StartChildOutput(out io.Writer, path string, args ...string) (*Child, error) {
	return cp.StartChildEnv(out, nil, path, args...)
}

// StartChildEnv is StartChildOutput with env ("NAME=value") added to the child's
// environment, for children that are told who they are there, as a Pod's containers are.
func (cp *ControlPlane) StartChildEnv(out io.Writer, env []string, path string, args ...string) (*Child, error) {
	env = append(append(os.Environ(), "KUBECONFIG="+cp.KubeconfigPath), env...)
	c, err := startChild(path, args, env, out)
	if err != nil {
		return nil, err
	}
	cp.children = append(cp.children, c)
	if err := cp.pids.recordChildrenOf(os.Getpid()); err != nil {
		return nil, err
	}
	return c, nil
}

// Stop stops the children, then kube-apiserver and etcd, and forgets their PIDs. etcd's
// data stays for the next run.
func (cp *ControlPlane) Stop() error {
	for _, c := range cp.children {
		c.Stop(StopTimeout)
	}
	err := cp.env.Stop()
	if err == nil {
		cp.pids.remove()
		_ = os.RemoveAll(cp.certDir)
	}
	return err
}
