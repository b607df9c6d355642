package chart

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// cluster is the one real control plane the package's tests share, started by the
// first test that needs it.
type cluster struct {
	env     *envtest.Environment
	cfg     *rest.Config
	kube    kubernetes.Interface
	dynamic dynamic.Interface
	mapper  meta.ResettableRESTMapper
}

var (
	clusterOnce sync.Once
	shared      *cluster
	clusterErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping envtest:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// envCluster starts (once) kube-apiserver and etcd with the operator's CRDs and the
// prometheus-operator ServiceMonitor CRD, so that every manifest the chart can render
// is validated by a real schema.
func envCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a kube-apiserver")
	}
	clusterOnce.Do(func() {
		assets, err := kubetest.AssetsDir()
		if err != nil {
			clusterErr = err
			return
		}
		env := kubetest.NewWithAssets(assets)
		env.CRDDirectoryPaths = append(env.CRDDirectoryPaths, filepath.Join(root, "hack", "chart", "testdata", "crds"))
		cfg, err := env.Start()
		if err != nil {
			clusterErr = fmt.Errorf("starting envtest: %w", err)
			return
		}
		c := &cluster{env: env, cfg: cfg}
		shared = c
		if c.kube, err = kubernetes.NewForConfig(cfg); err != nil {
			clusterErr = err
			return
		}
		if c.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
			clusterErr = err
			return
		}
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			clusterErr = err
			return
		}
		c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	})
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	return shared
}

// ensureNamespace creates a namespace unless it exists: a dry-run cannot create the
// namespace the next object of the same dry-run lives in.
func (c *cluster) ensureNamespace(t *testing.T, name string) {
	t.Helper()
	_, err := c.kube.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// apply server-side applies obj with strict field validation, as a dry run unless
// dryRun is false, with the given client.
func (c *cluster) apply(ctx context.Context, client dynamic.Interface, obj *unstructured.Unstructured, dryRun bool) error {
	gvk := obj.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	var ri dynamic.ResourceInterface = client.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			return fmt.Errorf("%s %s is namespaced but has no namespace", gvk.Kind, obj.GetName())
		}
		ri = client.Resource(mapping.Resource).Namespace(ns)
	}
	// Strict field validation: a misspelt or misplaced field is an error, not a warning.
	force := true
	opts := metav1.PatchOptions{FieldManager: "camera-operator-chart-test", Force: &force, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	if _, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}
