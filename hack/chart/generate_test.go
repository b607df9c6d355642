package chart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestGeneratedFilesCurrent fails when a generated file of the chart or docs differs
// from what its source generates: the CRD was regenerated, the RBAC markers changed, the
// Argo CD files were edited, or someone edited a generated file by hand.
func TestGeneratedFilesCurrent(t *testing.T) {
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("%s: %v (run `make chart-generate`)", rel, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale (run `make chart-generate`):\n%s", rel, cmp.Diff(string(want), string(got)))
		}
	}
	onDisk, err := filepath.Glob(filepath.Join(root, CRDChartDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range onDisk {
		rel, _ := filepath.Rel(root, path)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s has no source in %s (run `make chart-generate`)", rel, CRDSourceDir)
		}
	}
}

// TestChartCRDIsConfigCRD checks what the chart installs, after Helm's rendering, is the
// generated CRD: escaping and wrapping changed nothing in its spec.
func TestChartCRDIsConfigCRD(t *testing.T) {
	sources, err := filepath.Glob(filepath.Join(root, CRDSourceDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t)
	for _, src := range sources {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var want unstructured.Unstructured
		if err := yaml.Unmarshal(data, &want.Object); err != nil {
			t.Fatal(err)
		}
		got := one(t, objs, "CustomResourceDefinition", want.GetName())
		if diff := cmp.Diff(want.Object["spec"], got.Object["spec"]); diff != "" {
			t.Errorf("%s: the chart's CRD spec differs from %s:\n%s", want.GetName(), src, diff)
		}
		for k, v := range want.GetAnnotations() {
			if got.GetAnnotations()[k] != v {
				t.Errorf("%s: annotation %s=%q lost", want.GetName(), k, v)
			}
		}
	}
	off := filepath.Join(t.TempDir(), "crds-off.yaml")
	if err := os.WriteFile(off, []byte("crds:\n  enabled: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := len(find(render(t, off), "CustomResourceDefinition", "")); n != 0 {
		t.Errorf("crds.enabled=false still renders %d CRDs", n)
	}
}

// TestChartRBACIsConfigRBAC checks the rendered rules equal the generated manager roles,
// the leader-election role and the users' commander role of config/rbac, cluster-wide
// and per watched namespace.
func TestChartRBACIsConfigRBAC(t *testing.T) {
	manager, err := ReadRules(filepath.Join(root, RoleSource), "ClusterRole")
	if err != nil {
		t.Fatal(err)
	}
	leader, err := ReadRules(filepath.Join(root, LeaderSource), "Role")
	if err != nil {
		t.Fatal(err)
	}
	endpoints, err := ReadRules(filepath.Join(root, RoleSource), "Role")
	if err != nil {
		t.Fatal(err)
	}
	commander, err := ReadRules(filepath.Join(root, CommanderSource), "ClusterRole")
	if err != nil {
		t.Fatal(err)
	}
	rules := func(u *unstructured.Unstructured) []rbacv1.PolicyRule {
		return decode[rbacv1.ClusterRole](t, u).Rules
	}

	objs := render(t)
	if diff := cmp.Diff(manager, rules(one(t, objs, "ClusterRole", "camera-operator-manager"))); diff != "" {
		t.Errorf("the chart's ClusterRole differs from %s:\n%s", RoleSource, diff)
	}
	if diff := cmp.Diff(leader, rules(one(t, objs, "Role", "camera-operator-leader-election"))); diff != "" {
		t.Errorf("the chart's leader-election Role differs from %s:\n%s", LeaderSource, diff)
	}
	if diff := cmp.Diff(endpoints, rules(one(t, objs, "Role", "camera-operator-sip-endpoints"))); diff != "" {
		t.Errorf("the chart's SIP endpoint Role differs from the Role of %s:\n%s", RoleSource, diff)
	}
	if diff := cmp.Diff(commander, rules(one(t, objs, "ClusterRole", "camera-operator-commander"))); diff != "" {
		t.Errorf("the chart's commander ClusterRole differs from %s:\n%s", CommanderSource, diff)
	}

	objs = render(t, "hack/chart/testdata/values/namespaced-nodeport.yaml")
	roles := find(objs, "Role", "camera-operator-manager")
	if len(roles) != 2 {
		t.Fatalf("want a manager Role in each of 2 watched namespaces, got %d", len(roles))
	}
	for _, r := range roles {
		if diff := cmp.Diff(manager, rules(r)); diff != "" {
			t.Errorf("the manager Role in %s differs from %s:\n%s", r.GetNamespace(), RoleSource, diff)
		}
	}
}

func TestFillRegions(t *testing.T) {
	doc := "a\n<!-- BEGIN GENERATED x (make chart-generate) -->\nold\n<!-- END GENERATED x -->\nb\n"
	got, err := fillRegions([]byte(doc), map[string]string{"x": "new: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	want := "a\n<!-- BEGIN GENERATED x (make chart-generate) -->\n```yaml\nnew: 1\n```\n<!-- END GENERATED x -->\nb\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := fillRegions([]byte("no markers\n"), map[string]string{"x": ""}); err == nil || !strings.Contains(err.Error(), "BEGIN GENERATED x") {
		t.Errorf("a missing region gave %v", err)
	}
}

func TestCRDTemplateEscapesDelimiters(t *testing.T) {
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.example.com\nspec:\n  description: a {{ template }} here\nstatus: {}\n"
	got, err := crdTemplate("src.yaml", []byte(crd))
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if !strings.Contains(s, `a {{ "{{" }} template {{ "}}" }} here`) || strings.Contains(s, "status:") {
		t.Errorf("template:\n%s", s)
	}
	if _, err := crdTemplate("src.yaml", []byte("kind: ConfigMap\nmetadata:\n  name: x\n")); err == nil {
		t.Error("a ConfigMap was accepted as a CRD")
	}
}
