package kubetest

import (
	"testing"

	apiruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Start starts kube-apiserver and etcd with the operator's CRDs for t, stopped when t
// ends (after the cleanups t registers later, such as caches of it), and returns their
// config and a scheme of the built-in kinds and the operator's. Each configure changes
// the environment before it starts (an API server flag, say).
func Start(t testing.TB, configure ...func(*envtest.Environment)) (*rest.Config, *apiruntime.Scheme) {
	t.Helper()
	env, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configure {
		c(env)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := apiruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := gbv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return cfg, scheme
}
