// Package kubetest gives tests and local tools a real control plane: the kube-apiserver
// and etcd binaries built by hack/envtest (or any KUBEBUILDER_ASSETS), with the Camera
// CRD installed, and the kube-controller-manager binary for tests that need its
// controllers. It only locates and configures; envtest does the starting.
package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// KubeVersion is the Kubernetes release of the local control plane.
const KubeVersion = "1.36.3"

// RepoRoot is the root of the camera-operator checkout this package was built from.
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("kubetest: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir is the directory holding kube-apiserver, etcd and kubectl: KUBEBUILDER_ASSETS
// when set, else the one `make envtest` builds under bin/.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = builtDir()
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("kubetest: %s not found in %s: run `make envtest` (or set KUBEBUILDER_ASSETS)", name, dir)
			}
			return "", fmt.Errorf("kubetest: %w", err)
		}
	}
	return dir, nil
}

// ControllerManagerPath is the kube-controller-manager binary, which the tests that need
// the Deployment and ReplicaSet controllers run. It is looked for apart from AssetsDir
// because setup-envtest's directories hold no kube-controller-manager: first
// KUBE_CONTROLLER_MANAGER (a path), then KUBEBUILDER_ASSETS, then the directory
// `make envtest` builds it into under bin/.
func ControllerManagerPath() (string, error) {
	if p := os.Getenv("KUBE_CONTROLLER_MANAGER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("kubetest: KUBE_CONTROLLER_MANAGER: %w", err)
		}
		return p, nil
	}
	var tried []string
	for _, dir := range []string{os.Getenv("KUBEBUILDER_ASSETS"), builtDir()} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "kube-controller-manager")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, dir)
	}
	return "", fmt.Errorf("kubetest: kube-controller-manager not found in %s: run `make envtest` (or set KUBE_CONTROLLER_MANAGER)",
		strings.Join(tried, " nor "))
}

// builtDir is where hack/envtest/build.sh puts the binaries it builds.
func builtDir() string {
	return filepath.Join(RepoRoot(), "bin", "k8s", fmt.Sprintf("%s-%s-%s", KubeVersion, runtime.GOOS, runtime.GOARCH))
}

// CRDDir holds the generated CRDs of the operator.
func CRDDir() string { return filepath.Join(RepoRoot(), "config", "crd", "bases") }

// New returns an envtest environment on the local binaries with the operator's CRDs.
func New() (*envtest.Environment, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	return NewWithAssets(assets), nil
}

// NewWithAssets returns an envtest environment on the binaries in assetsDir with the
// operator's CRDs.
func NewWithAssets(assetsDir string) *envtest.Environment {
	return &envtest.Environment{
		BinaryAssetsDirectory: assetsDir,
		CRDDirectoryPaths:     []string{CRDDir()},
		ErrorIfCRDPathMissing: true,
	}
}
