package ha

import (
	"fmt"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gb28181/camera-operator/internal/testutil"
)

// rolloutTimeout bounds each wait for the Deployment: Pods start in a second or two
// and report Ready within a probe period, so this is slack for a loaded machine.
const rolloutTimeout = 90 * time.Second

// TestHighAvailability runs the scenarios in order on one cluster: each starts from
// the state the previous one left, as a cluster's history goes, so the first failure
// ends the test.
func TestHighAvailability(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("the HA test takes a minute or two; run it without -short (CI always does)")
	}
	e := setup(t)
	e.deploy(t)
	scenarios := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"DeploymentAvailable", testDeploymentAvailable},
		{"ServiceRoutesToLeader", testServiceRoutesToLeader},
		{"LeaderNodeLost", testLeaderNodeLost},
		{"RollingUpdate", testRollingUpdate},
	}
	for _, s := range scenarios {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, e) }) {
			return
		}
	}
}

// deploy creates what the chart would: the namespace, the SIP Service, the operator's
// Deployment; and the fake Node, the Camera and its Secret.
func (e *env) deploy(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	n := node()
	objs := []client.Object{namespaceObj(), n, service(e.ports), secret(), camera(), deployment(e.ports, e.leaseArgs)}
	for _, o := range objs {
		if err := e.c.Create(ctx, o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
	n.Status = nodeReady()
	if err := e.c.Status().Update(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// testDeploymentAvailable: both replicas are Ready, the standby included, so the
// Deployment is Available with two available replicas.
func testDeploymentAvailable(t *testing.T, e *env) {
	e.waitRolledOut(t, nil)
}

// testServiceRoutesToLeader: the SIP Service's EndpointSlice holds the leader's Pod IP
// alone, and a device registers through it.
func testServiceRoutesToLeader(t *testing.T, e *env) {
	addr := e.waitServiceOnLeader(t, "", 60*time.Second)
	e.registerThrough(t, e.kubelet.net.route(addr))
}

// testLeaderNodeLost: the leader's process is killed with SIGKILL and its Pod removed,
// as when its node dies and the Pod is force-deleted. The Lease is not released, so
// another replica (the standby, or the lost Pod's replacement) takes it when it runs
// out: within the lease duration and some slack the EndpointSlice holds that replica's
// IP, and the device registers again through it. The ReplicaSet replaces the lost Pod,
// and the Deployment is Available again.
func testLeaderNodeLost(t *testing.T, e *env) {
	_, old := e.serviceOnLeaderNow(t)
	if err := e.kubelet.loseNode(old.pod); err != nil {
		t.Fatal(err)
	}
	lost := time.Now()
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace = old.pod, namespace
	if err := e.c.Delete(t.Context(), pod, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}

	// The Lease runs out at most a lease duration after the kill and candidates try every
	// retry period; the slack is for that period, the new leader's cache sync and its
	// EndpointSlice write on a loaded machine.
	addr := e.waitServiceOnLeader(t, old.pod, e.leaseDuration+20*time.Second)
	t.Logf("the SIP Service moved from %s to %s %s after the leader was lost", old.pod, addr, time.Since(lost).Round(100*time.Millisecond))
	e.registerThrough(t, e.kubelet.net.route(addr))
	e.waitRolledOut(t, nil)
}

// testRollingUpdate: a change of the Pod template rolls out one Pod at a time (with
// maxUnavailable 0, an old one stops only once a new one is Ready, which needs every
// replica Ready, standbys included) and ends Available with two new Pods; the
// leader, and so the EndpointSlice, is one of them, and a device registers through it.
func testRollingUpdate(t *testing.T, e *env) {
	before := map[string]bool{}
	for _, c := range e.kubelet.running() {
		before[c.pod] = true
	}
	var d appsv1.Deployment
	if err := e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: deployName}, &d); err != nil {
		t.Fatal(err)
	}
	patched := d.DeepCopy()
	patched.Spec.Template.Annotations = restartedAt(1)
	if err := e.c.Patch(t.Context(), patched, client.MergeFrom(&d)); err != nil {
		t.Fatal(err)
	}
	e.waitRolledOut(t, before)
	addr := e.waitServiceOnLeader(t, "", 60*time.Second)
	e.registerThrough(t, e.kubelet.net.route(addr))
}

// waitRolledOut waits until the Deployment is Available and fully rolled out: its
// generation observed, two replicas, both updated and available, and its running Pods
// exactly two, none of them in old.
func (e *env) waitRolledOut(t *testing.T, old map[string]bool) {
	t.Helper()
	start := time.Now()
	testutil.Eventually(t, rolloutTimeout, "the Deployment rolled out and Available", func() error {
		var d appsv1.Deployment
		if err := e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: deployName}, &d); err != nil {
			return err
		}
		st := d.Status
		switch {
		case st.ObservedGeneration != d.Generation:
			return fmt.Errorf("observedGeneration %d, generation %d", st.ObservedGeneration, d.Generation)
		case !available(d):
			return fmt.Errorf("not Available (%+v); Pods: %s", st.Conditions, e.kubelet.describe())
		case st.Replicas != replicas || st.UpdatedReplicas != replicas || st.AvailableReplicas != replicas || st.ReadyReplicas != replicas:
			return fmt.Errorf("replicas %d, updated %d, ready %d, available %d, want %d each; Pods: %s",
				st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas, replicas, e.kubelet.describe())
		}
		running := e.kubelet.running()
		if len(running) != replicas {
			return fmt.Errorf("%d Pods running (%s), want %d", len(running), podNames(running), replicas)
		}
		for _, c := range running {
			if old[c.pod] {
				return fmt.Errorf("Pod %s of before the rollout still runs", c.pod)
			}
		}
		return nil
	})
	t.Logf("the Deployment was rolled out and Available after %s", time.Since(start).Round(100*time.Millisecond))
}

func available(d appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitServiceOnLeader waits until the SIP Service routes to the leader, a Pod other
// than notPod, and returns the Service's address.
func (e *env) waitServiceOnLeader(t *testing.T, notPod string, timeout time.Duration) string {
	t.Helper()
	var addr string
	testutil.Eventually(t, timeout, "the SIP Service routes to the leader", func() error {
		a, lead, err := e.serviceOnLeader(t.Context())
		if err != nil {
			return err
		}
		if lead.pod == notPod {
			return fmt.Errorf("%s still leads", notPod)
		}
		addr = a
		return nil
	})
	return addr
}

// serviceOnLeaderNow is the Service's address and the leader, which must agree now.
func (e *env) serviceOnLeaderNow(t *testing.T) (string, *container) {
	t.Helper()
	addr, lead, err := e.serviceOnLeader(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return addr, lead
}
