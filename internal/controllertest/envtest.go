package controllertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// The controllers' tests that need Kubernetes run against a real kube-apiserver and etcd
// (envtest). The control plane is started once per test binary, on first use, and
// shared: each test works in namespaces of its own, so tests run in parallel. A package
// whose tests use it stops it in TestMain with Main.

// Scheme has the kinds of client-go and of the operator's API.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := gbv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

var (
	envOnce sync.Once
	env     *envtest.Environment
	envCfg  *rest.Config
	envErr  error
)

// ControlPlane returns a client of the shared control plane, starting it on first use.
func ControlPlane(t testing.TB) client.Client {
	t.Helper()
	cfg := RestConfig(t)
	c, err := client.New(cfg, client.Options{Scheme: Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RestConfig is the shared control plane's client configuration, starting it on first
// use; copy it (rest.CopyConfig) before changing it.
func RestConfig(t testing.TB) *rest.Config {
	t.Helper()
	envOnce.Do(func() {
		env, envErr = kubetest.New()
		if envErr != nil {
			return
		}
		envCfg, envErr = env.Start()
		if envErr != nil {
			env = nil
		}
	})
	if envErr != nil {
		t.Fatalf("control plane: %v", envErr)
	}
	return envCfg
}

// Main runs the tests of m, then stops the control plane if they started it, and exits.
func Main(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}
	os.Exit(code)
}

// NewNamespace creates a namespace for one test, named after it.
func NewNamespace(t testing.TB, c client.Client) string {
	t.Helper()
	base := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "cam-" + base[:min(30, len(base))] + "-"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// AddUser makes a user of the shared control plane, with no permissions of its own, and
// returns a client configuration that authenticates as it.
func AddUser(t testing.TB, name string) *rest.Config {
	t.Helper()
	RestConfig(t)
	au, err := env.AddUser(envtest.User{Name: name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return au.Config()
}
