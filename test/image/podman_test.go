package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podman runs the podman CLI, as root, against a store of the test's own in a temporary
// directory: the test neither sees nor touches the machine's images and containers, and
// removing the directory removes all it made.
type podman struct {
	global []string // flags before the command
}

// newPodman finds podman (and runc where crun cannot run containers) and prepares the
// store. Without podman or root the test fails under CI, which installs podman and runs
// as root, and is skipped elsewhere.
func newPodman(t *testing.T) *podman {
	t.Helper()
	requireTool(t, "podman", "podman")
	if os.Geteuid() != 0 {
		missing(t, "the container test runs podman as root (it reads the container's /proc entries)")
	}
	// Short, not t.TempDir(): conmon's attach socket path lives below it and must stay
	// under the 108 bytes of a Unix socket address.
	dir, err := os.MkdirTemp("", "podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing podman's store: %v", err)
		}
	})
	p := &podman{global: []string{
		"--root", filepath.Join(dir, "root"),
		"--runroot", filepath.Join(dir, "run"),
		"--tmpdir", filepath.Join(dir, "tmp"),
		// vfs copies layers rather than mounting overlays: it works whatever filesystem
		// the temporary directory is on (overlay on overlay does not), and leaves no
		// mount behind.
		"--storage-driver", "vfs",
		// Without systemd (CI sandboxes, containers) podman manages cgroups itself, and
		// writes its events to a file rather than to journald.
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
	}}
	if crunRefusesCgroups() {
		requireTool(t, "runc", "runc")
		p.global = append(p.global, "--runtime", "runc")
	}
	return p
}

// crunRefusesCgroups reports the cgroup layout crun (podman's default runtime on Debian)
// refuses to run containers in: cgroup v1 controllers beside a cgroup2 hierarchy that
// holds controllers too ("hybrid", found on some VMs). runc runs there.
func crunRefusesCgroups() bool {
	b, err := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
	return err == nil && strings.TrimSpace(string(b)) != ""
}

// run runs one podman command and returns its standard output, trimmed; its error holds
// the standard error.
func (p *podman) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "podman", append(append([]string{}, p.global...), args...)...)
	cmd.WaitDelay = 10 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// must is run for steps the test cannot go on without.
func (p *podman) must(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := p.run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// requireTool fails the test under CI when the tool is not installed, and skips it
// elsewhere.
func requireTool(t *testing.T, tool, debianPackage string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		missing(t, fmt.Sprintf("%s not installed (Debian package %s)", tool, debianPackage))
	}
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI must provide it", why)
	}
	t.Skip(why)
}

// cleanup runs a command that removes what the test made; a failure fails the test,
// since it leaves something behind.
func (p *podman) cleanup(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.run(ctx, args...); err != nil {
		t.Error(err)
	}
}

// logs is what the container wrote, stdout and stderr interleaved.
func (p *podman) logs(ctx context.Context, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "podman", append(append([]string{}, p.global...), "logs", name)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
