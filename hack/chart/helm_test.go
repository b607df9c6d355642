package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// root is the repository root, from this package's directory.
var root = func() string {
	abs, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return abs
}()

const (
	releaseName      = "camera-operator"
	releaseNamespace = "camera-operator-system"
)

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm returns the helm v4 binary: $HELM when set, else the one hack/helm/build.sh
// builds (once) into bin/ from the Go module proxy.
func helm(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		if p := os.Getenv("HELM"); p != "" {
			helmPath = p
			return
		}
		cmd := exec.Command(filepath.Join(root, "hack", "helm", "build.sh"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			helmErr = fmt.Errorf("hack/helm/build.sh: %w\n%s", err, stderr.Bytes())
			return
		}
		helmPath = strings.TrimSpace(string(out))
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	return helmPath
}

// runHelm runs helm with a private home, so tests neither read nor write the user's
// helm configuration, repositories or cache.
func runHelm(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helm(t), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "no-kubeconfig"),
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func valuesArgs(valuesFiles []string) []string {
	var args []string
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
	}
	return args
}

// lint runs `helm lint --strict` on the chart with the values files.
func lint(t *testing.T, valuesFiles ...string) (string, error) {
	t.Helper()
	args := append([]string{"lint", "--strict", "--namespace", releaseNamespace, ChartDir}, valuesArgs(valuesFiles)...)
	out, stderr, err := runHelm(t, args...)
	return out + stderr, err
}

// render runs `helm template` on the chart with the values files (paths relative to
// the repository root) and decodes the manifests.
func render(t *testing.T, valuesFiles ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := tryRender(t, valuesFiles...)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func tryRender(t *testing.T, valuesFiles ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	return renderRelease(t, releaseNamespace, valuesFiles...)
}

// renderRelease renders the chart as release releaseName in namespace ns.
func renderRelease(t *testing.T, ns string, valuesFiles ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	args := append([]string{"template", releaseName, ChartDir, "--namespace", ns}, valuesArgs(valuesFiles)...)
	out, stderr, err := runHelm(t, args...)
	if err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr)
	}
	return decodeManifests([]byte(out))
}

// decodeManifests splits a multi-document YAML stream into objects, dropping empty
// documents.
func decodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(obj) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: obj})
	}
}

// find returns the rendered objects of a kind, optionally with a name.
func find(objs []*unstructured.Unstructured, kind, name string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			out = append(out, o)
		}
	}
	return out
}

// one returns the single rendered object of a kind and name, failing otherwise.
func one(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	found := find(objs, kind, name)
	if len(found) != 1 {
		t.Fatalf("want one %s %q, rendered %d", kind, name, len(found))
	}
	return found[0]
}
