package ha

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gb28181/camera-operator/internal/localcluster"
)

// bindIPEnv is the variable the stand-in kubelet adds to each container's environment:
// the loopback address the Pod listens on, since here it has no network namespace of
// its own where it could listen on all addresses.
const bindIPEnv = "POD_BIND_IP"

// syncInterval is how often the stand-in kubelet looks at its Pods and probes their
// containers (each probe still keeps its own period).
const syncInterval = 100 * time.Millisecond

// kubelet stands in for the scheduler and the kubelet of the one fake Node, since there
// is no container runtime here: a Pod's container is a process of this test running the
// operator binary. It does what the Deployment and ReplicaSet controllers and the
// operator depend on, no more:
//   - a new Pod is bound to the Node and attached to the Pod network (podNetwork): a
//     Pod IP, and a loopback address of its own to listen on, in $POD_BIND_IP;
//   - its container runs: the binary with the container's args, $(VAR)s expanded from
//     its env, which may come from the downward API (name, namespace, Pod IP);
//   - its probes run as the Pod spec says, and the Pod status (phase, Pod IP, Ready) is
//     written whenever the verdict changes;
//   - a Pod being deleted has its process stopped (SIGTERM, SIGKILL after the grace
//     period) and is then removed, as the kubelet confirms a graceful deletion.
//
// It does not restart containers: a process that exits unasked, or fails its liveness
// probe, is recorded as a problem the test reports.
type kubelet struct {
	c      client.Client
	cp     *localcluster.ControlPlane
	exe    string // what every container runs: the operator binary
	logDir string
	net    *podNetwork

	mu       sync.Mutex
	pods     map[types.UID]*container
	problems []string
}

// container is one Pod's process and what the kubelet knows of it.
type container struct {
	pod     string
	uid     types.UID
	ip      string // the Pod IP
	local   string // the loopback address its process listens on (see podNetwork)
	spec    corev1.Container
	proc    *localcluster.Child
	logPath string
	started time.Time

	readiness, liveness *prober
	readySince          time.Time
	written             *podObservation // the last observation written to the Pod status

	note     string // the last readiness verdict and why, for messages
	lost     bool   // killed by the test as a dead node would lose it
	stopping bool   // its Pod is being deleted
	exited   bool   // seen exited (reported once)
}

func newKubelet(c client.Client, cp *localcluster.ControlPlane, exe, logDir string, net *podNetwork) *kubelet {
	return &kubelet{c: c, cp: cp, exe: exe, logDir: logDir, net: net, pods: map[types.UID]*container{}}
}

// run syncs the Pods of the test's namespace until ctx ends.
func (k *kubelet) run(ctx context.Context) {
	for {
		k.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(syncInterval):
		}
	}
}

func (k *kubelet) sync(ctx context.Context) {
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.InNamespace(namespace)); err != nil {
		return // the next sync tries again, as the kubelet's watch would resume
	}
	seen := map[types.UID]bool{}
	for i := range pods.Items {
		seen[pods.Items[i].UID] = true
		k.syncPod(ctx, &pods.Items[i])
	}
	// A Pod removed at once (forced deletion) takes its process with it.
	k.mu.Lock()
	defer k.mu.Unlock()
	for uid, c := range k.pods {
		if !seen[uid] {
			delete(k.pods, uid)
			go c.proc.Stop(localcluster.StopTimeout)
		}
	}
}

func (k *kubelet) syncPod(ctx context.Context, pod *corev1.Pod) {
	k.mu.Lock()
	c := k.pods[pod.UID]
	k.mu.Unlock()
	switch {
	case pod.DeletionTimestamp != nil:
		k.terminate(ctx, pod, c)
	case c == nil:
		if err := k.start(ctx, pod); err != nil {
			k.problem("starting Pod %s: %v", pod.Name, err)
		}
	default:
		k.probeAndReport(ctx, pod, c)
	}
}

// start binds the Pod to the Node and runs its container.
func (k *kubelet) start(ctx context.Context, pod *corev1.Pod) error {
	if len(pod.Spec.Containers) != 1 {
		return fmt.Errorf("%d containers, want 1", len(pod.Spec.Containers))
	}
	node := pod.Spec.NodeName
	if node == "" {
		binding := &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: nodeName},
		}
		if err := k.c.SubResource("binding").Create(ctx, pod, binding); err != nil {
			return fmt.Errorf("binding: %w", err)
		}
		node = nodeName
	}
	spec := pod.Spec.Containers[0]
	ip, local, err := k.net.attach()
	if err != nil {
		return err
	}
	env, err := containerEnv(pod, spec, node, ip)
	if err != nil {
		return err
	}
	// Injected as the kubelet injects KUBERNETES_SERVICE_HOST: where this Pod can listen
	// in the network it shares with the others (see podNetwork).
	env[bindIPEnv] = local
	args := expandArgs(spec.Args, env)

	c := &container{pod: pod.Name, uid: pod.UID, ip: ip, local: local, spec: spec, logPath: filepath.Join(k.logDir, pod.Name+".log")}
	out, err := os.Create(c.logPath)
	if err != nil {
		return err
	}
	c.started = time.Now()
	fmt.Fprintf(out, "=== %s: %s %s\n", c.started.Format(time.RFC3339Nano), k.exe, strings.Join(args, " "))
	if c.readiness, err = newProber(spec.ReadinessProbe, spec, local, c.started, false); err != nil {
		return err
	}
	if c.liveness, err = newProber(spec.LivenessProbe, spec, local, c.started, true); err != nil {
		return err
	}
	c.readySince = c.started
	if c.proc, err = k.cp.StartChildEnv(out, envList(env), k.exe, args...); err != nil {
		out.Close()
		return err
	}
	go func() { <-c.proc.Done(); out.Close() }()
	k.mu.Lock()
	k.pods[pod.UID] = c
	k.mu.Unlock()
	k.probeAndReport(ctx, pod, c)
	return nil
}

// probeAndReport runs the container's probes when due and writes the Pod status when
// what it would say changed.
func (k *kubelet) probeAndReport(ctx context.Context, pod *corev1.Pod, c *container) {
	now := time.Now()
	running := true
	select {
	case <-c.proc.Done():
		running = false
		k.mu.Lock()
		first, asked := !c.exited, c.lost || c.stopping
		c.exited = true
		k.mu.Unlock()
		if first && !asked {
			k.problem("the process of Pod %s exited unasked: %v", c.pod, c.proc.Err())
		}
	default:
		if c.readiness.probe(now) {
			c.readySince = now
		}
		if c.liveness.probe(now) && !c.liveness.ok {
			k.problem("Pod %s failed its liveness probe (the kubelet would restart it): %v", c.pod, c.liveness.lastErr)
		}
	}
	note := "not running"
	if running {
		note = fmt.Sprintf("ready=%t", c.readiness.ok)
		if c.readiness.lastErr != nil {
			note += fmt.Sprintf(" (%v)", c.readiness.lastErr)
		}
	}
	k.mu.Lock()
	c.note = note
	k.mu.Unlock()

	o := podObservation{
		container: c.spec.Name, image: c.spec.Image,
		podIP: c.ip, hostIP: "127.0.0.1",
		started: c.started, running: running, ready: running && c.readiness.ok, readySince: c.readySince,
	}
	if c.written != nil && *c.written == o {
		return
	}
	patched := pod.DeepCopy()
	patched.Status = podStatus(o)
	if err := k.c.Status().Patch(ctx, patched, client.MergeFrom(pod)); err != nil {
		return // written at the next sync
	}
	c.written = &o
}

// terminate stops the container of a Pod being deleted, then removes the Pod: the
// kubelet's half of a graceful deletion.
func (k *kubelet) terminate(ctx context.Context, pod *corev1.Pod, c *container) {
	if c != nil {
		k.mu.Lock()
		already := c.stopping
		c.stopping = true
		k.mu.Unlock()
		if already {
			return
		}
	}
	grace := localcluster.StopTimeout
	if s := pod.Spec.TerminationGracePeriodSeconds; s != nil {
		grace = time.Duration(*s) * time.Second
	}
	key := client.ObjectKeyFromObject(pod)
	uid := pod.UID
	go func() {
		if c != nil {
			c.proc.Stop(grace)
		}
		del := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace}}
		err := k.c.Delete(ctx, del, client.GracePeriodSeconds(0), client.Preconditions{UID: &uid})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
			k.problem("removing Pod %s: %v", key.Name, err)
		}
	}()
}

// loseNode kills the process of the Pod as a dead node would (SIGKILL, nothing
// flushed, no lease released) and waits for it to be gone.
func (k *kubelet) loseNode(pod string) error {
	c := k.container(pod)
	if c == nil {
		return fmt.Errorf("no process for Pod %s", pod)
	}
	k.mu.Lock()
	c.lost = true
	k.mu.Unlock()
	if err := syscall.Kill(c.proc.PID(), syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-c.proc.Done():
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the process of Pod %s survived SIGKILL", pod)
	}
}

// container is the running container of the named Pod, nil when there is none.
func (k *kubelet) container(pod string) *container {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.pods {
		if c.pod == pod && !c.exited {
			return c
		}
	}
	return nil
}

// running lists the containers whose process runs and whose Pod is not being deleted,
// by Pod name.
func (k *kubelet) running() []*container {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*container
	for _, c := range k.pods {
		select {
		case <-c.proc.Done():
			continue
		default:
		}
		if !c.stopping && !c.lost {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pod < out[j].pod })
	return out
}

// describe tells each container's Pod, IP and readiness, for messages.
func (k *kubelet) describe() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var lines []string
	for _, c := range k.pods {
		lines = append(lines, fmt.Sprintf("%s %s %s", c.pod, c.ip, c.note))
	}
	sort.Strings(lines)
	return strings.Join(lines, "; ")
}

// logs are the log files of every container started, by Pod name.
func (k *kubelet) logs() map[string]string {
	entries, _ := filepath.Glob(filepath.Join(k.logDir, "*.log"))
	out := map[string]string{}
	for _, p := range entries {
		out[strings.TrimSuffix(filepath.Base(p), ".log")] = p
	}
	return out
}

func (k *kubelet) problem(format string, args ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.problems = append(k.problems, fmt.Sprintf(format, args...))
}

// Problems are what went wrong on the node that the controllers could not see.
func (k *kubelet) Problems() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.problems...)
}
