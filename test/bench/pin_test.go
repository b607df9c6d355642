package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSetAffinityReachesDescendants pins a shell and the sleep it started, as the
// comparison pins Kamailio and its workers, and frees them again.
func TestSetAffinityReachesDescendants(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one core: nothing to pin apart")
	}
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	var kids []int
	for range 100 {
		var err error
		if kids, err = descendants(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if len(kids) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(kids) != 1 {
		t.Fatalf("descendants of the shell: %v, want its sleep", kids)
	}
	defer func() { _ = syscall.Kill(kids[0], syscall.SIGKILL) }()
	for _, tt := range []struct {
		cpus []int
		want string
	}{
		{[]int{registrarCPU}, strconv.Itoa(registrarCPU)},
		{allCPUs(), "0-" + strconv.Itoa(runtime.NumCPU()-1)},
	} {
		if err := setAffinity(cmd.Process.Pid, tt.cpus); err != nil {
			t.Fatal(err)
		}
		for _, pid := range []int{cmd.Process.Pid, kids[0]} {
			if got := allowedCPUs(t, pid); got != tt.want {
				t.Errorf("pid %d after setAffinity(%v): Cpus_allowed_list %q, want %q", pid, tt.cpus, got, tt.want)
			}
		}
	}
}

// allowedCPUs reads Cpus_allowed_list of pid.
func allowedCPUs(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list in /proc/%d/status", pid)
	return ""
}
