package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// kubectlTimeout bounds one kubectl command that is not itself a wait.
const kubectlTimeout = time.Minute

// run runs kubectl with args (and stdin, when not empty) against the control plane and
// returns its stdout.
func (e *env) run(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.kubectl, append([]string{"--kubeconfig", e.cp.KubeconfigPath}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// kubectlOK runs kubectl and fails the test if it fails.
func (e *env) kubectlOK(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	out, err := e.run(ctx, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apply applies the YAML documents of manifest with `kubectl apply -f -`.
func (e *env) apply(t *testing.T, manifest string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	if _, err := e.run(ctx, manifest, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// jsonpath returns `kubectl get -o jsonpath=<path>` of an object (like "camera/x").
func (e *env) jsonpath(t *testing.T, ns, obj, path string) string {
	t.Helper()
	return e.kubectlOK(t, "get", "-n", ns, obj, "-o", "jsonpath="+path)
}

// wait runs `kubectl wait --for=<cond>` on objs, failing the test (with the objects'
// state) when they do not get there within timeout.
func (e *env) wait(t *testing.T, ns, cond string, timeout time.Duration, objs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+kubectlTimeout)
	defer cancel()
	args := append([]string{"wait", "-n", ns, "--for=" + cond, "--timeout=" + timeout.String()}, objs...)
	if _, err := e.run(ctx, "", args...); err != nil {
		state, _ := e.run(ctx, "", "get", "-n", ns, "cameras", "-o", "wide")
		t.Fatalf("%v\n%s", err, state)
	}
}

// camera returns a Camera as `kubectl get -o json` shows it.
func (e *env) camera(t *testing.T, ns, name string) gbv1.Camera {
	t.Helper()
	var c gbv1.Camera
	if err := json.Unmarshal([]byte(e.kubectlOK(t, "get", "-n", ns, "camera/"+name, "-o", "json")), &c); err != nil {
		t.Fatalf("decoding camera %s/%s: %v", ns, name, err)
	}
	return c
}

// condition returns the condition of type typ of camera ns/name as "Status/Reason".
func (e *env) condition(t *testing.T, ns, name, typ string) string {
	t.Helper()
	return e.jsonpath(t, ns, "camera/"+name, fmt.Sprintf(`{.status.conditions[?(@.type==%q)].status}/{.status.conditions[?(@.type==%q)].reason}`, typ, typ))
}

// namespace, secret and camera are the manifests the suite applies.
func namespace(ns string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n---\n", ns)
}

func secret(ns, name, password string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %s
  namespace: %s
stringData:
  password: %q
---
`, name, ns, password)
}

// cameraSpec is a Camera to apply. Keepalives are expected every 2 s, and 5 may be
// missed before Offline: the suite's devices keep alive at that pace.
type cameraSpec struct {
	ns, name, deviceID, secret string
	// shard, when set, labels the Camera for that operator shard.
	shard string
}

// deviceKeepalive is the keepalive interval of the suite's devices and Cameras.
const deviceKeepalive = 2 * time.Second

func camera(c cameraSpec) string {
	labels := ""
	if c.shard != "" {
		labels = fmt.Sprintf("\n  labels:\n    %s: %s", gbv1.ShardLabel, c.shard)
	}
	return fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: Camera
metadata:
  name: %s
  namespace: %s%s
spec:
  deviceID: %q
  credentialsSecretRef:
    name: %s
  keepalive:
    interval: %s
    timeoutCount: 5
---
`, c.name, c.ns, labels, c.deviceID, c.secret, deviceKeepalive)
}

// stateWatch follows `kubectl get cameras --watch` in a namespace and records every
// state a Camera is seen in, brief ones included.
type stateWatch struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

// watchStates starts following the Cameras of ns. Its first lines are their current
// states.
func (e *env) watchStates(t *testing.T, ns string) *stateWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &stateWatch{cancel: cancel, done: make(chan struct{})}
	w.cmd = exec.CommandContext(ctx, e.kubectl, "--kubeconfig", e.cp.KubeconfigPath, "get", "cameras", "-n", ns,
		"--watch", "-o", `jsonpath={.metadata.name} {.status.state}{"\n"}`)
	w.cmd.Stdout = &w.out
	if err := w.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(w.stopNow)
	return w
}

func (w *stateWatch) stopNow() {
	w.cancel()
	<-w.done
}

// stop ends the watch and returns what it saw, one "name state" per line.
func (w *stateWatch) stop() []string {
	w.stopNow()
	return strings.Split(strings.TrimSpace(w.out.String()), "\n")
}
