package localcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// APIServerStopGrace is how long StopAPIServer lets kube-apiserver shut down gracefully
// before killing it. With clients watching it drains for longer than a test wants to wait.
const APIServerStopGrace = 5 * time.Second

// StopAPIServer stops kube-apiserver alone, as an outage of the API would: etcd and the
// children keep running. It sends SIGTERM and, after APIServerStopGrace, SIGKILL.
// StartAPIServer brings it back.
func (cp *ControlPlane) StopAPIServer() error {
	pid, err := cp.apiServerPID()
	if err != nil {
		return err
	}
	terminate(pid, APIServerStopGrace)
	// envtest's own bookkeeping (it reaps the process in the background, so its Stop may
	// briefly still see it running and fail to signal it: retry until it has noticed).
	for attempt := 0; ; attempt++ {
		if err = cp.env.ControlPlane.APIServer.Stop(); err == nil || attempt == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	return cp.pids.recordChildrenOf(os.Getpid())
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the same address
// with the same certificates and client CA, so the kubeconfig written at start and the
// clients using it (the children) reconnect as to a restarted server. It returns once
// the server is healthy.
func (cp *ControlPlane) StartAPIServer() error {
	if err := cp.env.ControlPlane.APIServer.Start(); err != nil {
		return fmt.Errorf("restarting kube-apiserver: %w", err)
	}
	return cp.pids.recordChildrenOf(os.Getpid())
}

// apiServerPID finds the running kube-apiserver among this process's children by its
// executable.
func (cp *ControlPlane) apiServerPID() (int, error) {
	exe, err := filepath.Abs(cp.env.ControlPlane.APIServer.Path)
	if err != nil {
		return 0, err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	children, err := childrenOf(os.Getpid())
	if err != nil {
		return 0, err
	}
	for _, pid := range children {
		if running, _ := os.Readlink(procPath(pid, "exe")); running == exe {
			return pid, nil
		}
	}
	return 0, errors.New("kube-apiserver is not running")
}
