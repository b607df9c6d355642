package chart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// dryRunApply server-side applies every object as a dry run, so the real API server
// validates it: schemas (the CRDs' too), defaulting, admission. Namespaces the objects
// live in are created for real first, since a dry run cannot create them.
func dryRunApply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	c := envCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" {
			c.ensureNamespace(t, ns)
		}
		if o.GetKind() == "Namespace" {
			c.ensureNamespace(t, o.GetName())
		}
	}
	if len(objs) == 0 {
		t.Fatal("nothing to apply")
	}
	for _, o := range objs {
		if err := c.apply(ctx, c.dynamic, o, true); err != nil {
			t.Error(err)
		}
	}
}

func TestChartAppliesToAPIServer(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			dryRunApply(t, render(t, vs.files...))
		})
	}
}

// kubectl is $KUBECTL, else the kubectl built beside the control plane.
func kubectl(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBECTL"); p != "" {
		return p
	}
	assets, err := kubetest.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(assets, "kubectl")
}

func TestKustomizeAppliesToAPIServer(t *testing.T) {
	cmd := exec.Command(kubectl(t), "kustomize", "config/default")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v\n%s", err, stderr.Bytes())
	}
	objs, err := decodeManifests(out)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	for _, k := range []string{"CustomResourceDefinition", "Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("config/default renders no %s", k)
		}
	}
	dryRunApply(t, objs)
}
