package image

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	_ "time/tzdata" // the test reads the registrar's Date in the zone it gave the container

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// containerZone is the container's --sip-timezone: UTC+14 all year, so a Date header
// written in UTC (no zone data found) is off by 14 hours.
const containerZone = "Pacific/Kiritimati"

// TestImageRunsUnderPodman loads make image's tarball into podman and runs it on the
// host network against a local control plane, under the restrictions the chart's
// securityContext puts on the operator's container. The operator gets ready, a
// simulated device registers through the container's SIP port and its Camera turns
// Registered, the Date the registrar answers is in the zone it was given (from zone data
// in the binary: the image has none), the process runs as the chart's non-root user with
// no capabilities on a root filesystem that refuses writes, and SIGTERM stops it cleanly.
func TestImageRunsUnderPodman(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("starts a control plane and a container; run without -short (CI always does)")
	}
	p := newPodman(t)
	sc := chartSecurityContext(t)

	start := time.Now()
	go buildImageOnce() // meanwhile
	cp, err := localcluster.StartControlPlane(filepath.Join(t.TempDir(), "cluster"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	built := makeImage(t)
	t.Logf("control plane up and image built in %s", time.Since(start).Round(time.Millisecond))

	p.must(t, "load", "--input", built.Tar)
	t.Cleanup(func() { p.cleanup(t, "rmi", "--force", testImageRef) })
	p.must(t, "image", "exists", testImageRef)

	op := startContainer(t, p, sc, cp.KubeconfigPath)
	op.waitReady(t)
	t.Logf("operator ready %s after start", time.Since(start).Round(time.Millisecond))

	op.checkRestricted(t, sc)
	registerThroughContainer(t, op, cp.KubeconfigPath)

	p.must(t, "stop", "--time", "30", op.name)
	if code := p.must(t, "inspect", "--format", "{{.State.ExitCode}}", op.name); code != "0" {
		t.Errorf("the operator exited %s on SIGTERM, want 0 (a clean shutdown)", code)
	}
	t.Logf("whole run %s", time.Since(start).Round(time.Millisecond))
}

// securityContext is what the chart's values demand of the operator's container.
type securityContext struct {
	Pod struct {
		RunAsNonRoot bool  `json:"runAsNonRoot"`
		RunAsUser    int64 `json:"runAsUser"`
		RunAsGroup   int64 `json:"runAsGroup"`
		Seccomp      struct {
			Type string `json:"type"`
		} `json:"seccompProfile"`
	} `json:"podSecurityContext"`
	Container struct {
		AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `json:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	} `json:"securityContext"`
}

func chartSecurityContext(t *testing.T) securityContext {
	t.Helper()
	var sc securityContext
	if err := yaml.Unmarshal(readFile(t, "charts/camera-operator/values.yaml"), &sc); err != nil {
		t.Fatal(err)
	}
	// What this test exists to check; a chart that asked for less would leave it
	// checking less.
	if !sc.Pod.RunAsNonRoot || sc.Pod.RunAsUser == 0 || !sc.Container.ReadOnlyRootFilesystem ||
		sc.Container.AllowPrivilegeEscalation == nil || *sc.Container.AllowPrivilegeEscalation ||
		len(sc.Container.Capabilities.Drop) != 1 || sc.Container.Capabilities.Drop[0] != "ALL" ||
		sc.Pod.Seccomp.Type != "RuntimeDefault" {
		t.Fatalf("the chart no longer runs the operator non-root, read-only, without privilege escalation or capabilities, under the runtime's seccomp profile: %+v", sc)
	}
	return sc
}

// podmanFlags are podman's words for the securityContext; podman applies its default
// seccomp profile (RuntimeDefault) unasked. Kubernetes mounts nothing
// writable into a read-only container unless the Pod asks (the chart has no volumes), so
// podman's tmpfs on /tmp, /run and /var/tmp is turned off too.
func (sc securityContext) podmanFlags() []string {
	flags := []string{
		"--user", fmt.Sprintf("%d:%d", sc.Pod.RunAsUser, sc.Pod.RunAsGroup),
		"--read-only", "--read-only-tmpfs=false",
		"--security-opt", "no-new-privileges",
	}
	for _, c := range sc.Container.Capabilities.Drop {
		flags = append(flags, "--cap-drop", c)
	}
	return flags
}

// container is the operator running in podman.
type container struct {
	p                           *podman
	name                        string
	sipAddr, probeAddr, metrics string
}

// startContainer runs the image on the host network with the kubeconfig mounted
// read-only and SIP, probes and metrics on free loopback ports.
func startContainer(t *testing.T, p *podman, sc securityContext, kubeconfig string) *container {
	t.Helper()
	// The container's user reads the kubeconfig; nobody else needs to.
	mounted := filepath.Join(t.TempDir(), "kubeconfig")
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mounted, data, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(mounted, int(sc.Pod.RunAsUser), int(sc.Pod.RunAsGroup)); err != nil {
		t.Fatal(err)
	}

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	c := &container{
		p:         p,
		name:      fmt.Sprintf("camera-operator-test-%d-%s", os.Getpid(), hex.EncodeToString(suffix)),
		sipAddr:   testutil.FreeSIPAddr(t),
		probeAddr: testutil.FreeTCPAddr(t),
		metrics:   testutil.FreeTCPAddr(t),
	}
	args := []string{"run", "--detach", "--name", c.name, "--network", "host",
		// podman's default limits (1048576 open files, 4194304 processes) are more than a
		// runtime without CAP_SYS_RESOURCE (CI sandboxes) may set; the operator needs few.
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		// conmon kills the container after this even if the test dies without cleaning up.
		"--timeout", "900",
		"--volume", mounted + ":/etc/camera-operator/kubeconfig:ro",
		"--env", "KUBECONFIG=/etc/camera-operator/kubeconfig",
	}
	args = append(args, sc.podmanFlags()...)
	args = append(args, testImageRef,
		"--sip-listen="+c.sipAddr,
		"--health-probe-bind-address="+c.probeAddr,
		"--metrics-bind-address="+c.metrics,
		"--sip-timezone="+containerZone,
		"--log-format=text",
	)
	t.Cleanup(func() {
		if t.Failed() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			logs, err := p.logs(ctx, c.name)
			t.Logf("operator container logs (%v):\n%s", err, logs)
		}
		p.cleanup(t, "rm", "--force", "--time", "10", c.name)
	})
	p.must(t, args...)
	return c
}

// waitReady waits until /readyz answers 200, failing at once if the container exits.
func (c *container) waitReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; ; i++ {
		resp, err := client.Get("http://" + c.probeAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i%10 == 9 {
			if state := c.p.must(t, "inspect", "--format", "{{.State.Status}}", c.name); state != "running" {
				t.Fatalf("the operator's container is %s before it got ready", state)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not answer 200 within 2 minutes (last: %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := client.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("metrics answered %s", resp.Status)
	}
}

// checkRestricted checks, through the kernel's view of the container's process, that it
// runs as the chart's user and group with no capabilities, no way to gain privileges and
// a seccomp filter, and that its root filesystem, /tmp included, refuses writes.
func (c *container) checkRestricted(t *testing.T, sc securityContext) {
	t.Helper()
	out := c.p.must(t, "inspect", "--format", "{{.State.Pid}} {{.HostConfig.ReadonlyRootfs}}", c.name)
	pidText, readOnly, _ := strings.Cut(out, " ")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		t.Fatalf("podman inspect: pid %q: %v", pidText, err)
	}
	if readOnly != "true" {
		t.Errorf("podman inspect: ReadonlyRootfs %s", readOnly)
	}
	proc := fmt.Sprintf("/proc/%d/", pid)

	cmdline, err := os.ReadFile(proc + "cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if arg0, _, _ := strings.Cut(string(cmdline), "\x00"); arg0 != "/manager" {
		t.Fatalf("pid %d runs %q, not the operator", pid, arg0)
	}

	status, err := os.ReadFile(proc + "status")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	uid, gid := strconv.FormatInt(sc.Pod.RunAsUser, 10), strconv.FormatInt(sc.Pod.RunAsGroup, 10)
	// Real, effective, saved and filesystem IDs.
	if want := strings.Repeat(uid+" ", 3) + uid; fields["Uid"] != want {
		t.Errorf("Uid: %s, want %s", fields["Uid"], want)
	}
	if want := strings.Repeat(gid+" ", 3) + gid; fields["Gid"] != want {
		t.Errorf("Gid: %s, want %s", fields["Gid"], want)
	}
	for _, k := range []string{"CapEff", "CapPrm"} {
		if fields[k] != "0000000000000000" {
			t.Errorf("%s: %s, want no capabilities", k, fields[k])
		}
	}
	if fields["NoNewPrivs"] != "1" {
		t.Errorf("NoNewPrivs: %s, want 1", fields["NoNewPrivs"])
	}
	if fields["Seccomp"] != "2" {
		t.Errorf("Seccomp: %s, want 2 (a filter: the runtime's default profile)", fields["Seccomp"])
	}

	if opts := rootMountOptions(t, proc+"mountinfo"); !strings.Contains(","+opts+",", ",ro,") {
		t.Errorf("the container's / is mounted %s, want ro", opts)
	}
	// Writes through the container's own root, as root: only the mount can refuse them.
	for _, p := range []string{"write-probe", "tmp/write-probe"} {
		path := proc + "root/" + p
		err := os.WriteFile(path, []byte("x"), 0o644)
		if err == nil {
			os.Remove(path)
			t.Errorf("wrote /%s in the container", p)
		} else if !errors.Is(err, syscall.EROFS) {
			t.Errorf("writing /%s in the container: %v, want EROFS", p, err)
		}
	}
}

// rootMountOptions are the per-mount options of the mount at / in a mountinfo file.
func rootMountOptions(t *testing.T, mountinfo string) string {
	t.Helper()
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		t.Fatal(err)
	}
	// ID parentID major:minor root mountpoint options ...
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 6 && f[4] == "/" {
			return f[5]
		}
	}
	t.Fatalf("no mount at / in %s", mountinfo)
	return ""
}

// registerThroughContainer creates a Camera and its Secret, registers a simulated IPC
// with the operator in the container, and waits until the Camera shows it; then the
// device unregisters and the Camera follows.
func registerThroughContainer(t *testing.T, c *container, kubeconfig string) {
	t.Helper()
	const ns, deviceID, password = "image-test", "34020000001320000001", "image-Pa55word"
	k := newClient(t, kubeconfig)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"}, StringData: map[string]string{"password": password}},
		&gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lobby"}, Spec: gbv1.CameraSpec{
			DeviceID: deviceID, CredentialsSecretRef: gbv1.SecretKeySelector{Name: "creds"},
		}},
	} {
		if err := k.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	d, err := sim.NewDevice(sim.Config{ID: deviceID, Password: password, Server: c.sipAddr, Transport: "udp"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The operator may not have read the new Camera yet: the first answers can refuse.
	var reg sim.Registration
	testutil.Eventually(t, 30*time.Second, "the device registers with the operator in the container", func() error {
		reg, err = d.Register(ctx)
		return err
	})
	zone, err := time.LoadLocation(containerZone)
	if err != nil {
		t.Fatal(err)
	}
	date, err := time.ParseInLocation("2006-01-02T15:04:05.000", reg.Date, zone)
	if err != nil {
		t.Fatalf("the registrar's Date %q: %v", reg.Date, err)
	}
	if off := time.Since(date); off < -time.Minute || off > time.Minute {
		t.Errorf("the registrar's Date %q read in %s is %s from now: --sip-timezone did not apply in the image", reg.Date, containerZone, off.Round(time.Second))
	}

	camera := func() (gbv1.Camera, error) {
		var cam gbv1.Camera
		err := k.Get(ctx, client.ObjectKey{Namespace: ns, Name: "lobby"}, &cam)
		return cam, err
	}
	testutil.Eventually(t, time.Minute, "the Camera turns Registered", func() error {
		cam, err := camera()
		if err != nil {
			return err
		}
		if r := cam.Status.Registration; cam.Status.State != gbv1.StateRegistered || r == nil || r.Transport != gbv1.TransportUDP {
			return fmt.Errorf("state %q, registration %+v", cam.Status.State, r)
		}
		return nil
	})

	if err := d.Unregister(ctx); err != nil {
		t.Fatalf("unregistering: %v", err)
	}
	testutil.Eventually(t, time.Minute, "the Camera turns Unregistered", func() error {
		cam, err := camera()
		if err != nil {
			return err
		}
		if cam.Status.State != gbv1.StateUnregistered {
			return fmt.Errorf("state %q", cam.Status.State)
		}
		return nil
	})
}

func newClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := gbv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	k, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return k
}
