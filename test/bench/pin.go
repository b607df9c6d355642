package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CPU placement of the comparison's processes. "As make dev runs it" leaves every
// process free to run on any core; "production-like" keeps the registrar under test
// (the operator, or Kamailio) alone on core 1 and everything else (kube-apiserver, etcd,
// sipp) on core 0, as a cluster keeps the API server off the operator's node. The
// affinity of a running process is set on each of its threads and on its descendants
// (Kamailio's workers), and threads they start later inherit it.

// topology is one placement of the processes.
type topology struct {
	Name string `json:"name"`
	// Pinned: the registrar on registrarCPU alone, the rest on peerCPU.
	Pinned bool `json:"pinned"`
}

const (
	peerCPU      = 0
	registrarCPU = 1
)

var (
	topologyDev        = topology{Name: "as make dev runs it"}
	topologyProduction = topology{Name: "production-like", Pinned: true}
)

// pinningPossible reports why the production-like topology cannot be had here, or "".
func pinningPossible() string {
	if n := runtime.NumCPU(); n < 2 {
		return fmt.Sprintf("this machine has %d core: production-like pinning needs 2, so that topology is not measured", n)
	}
	return ""
}

// allCPUs is every core of the machine.
func allCPUs() []int {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus
}

// setAffinity confines pid, each of its threads and each of its descendants to cpus.
func setAffinity(pid int, cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	pids, err := descendants(pid)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range append([]int{pid}, pids...) {
		tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(p), "task"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			// A thread may end between the listing and this call: that is no failure.
			if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, fmt.Errorf("sched_setaffinity(%d): %w", tid, err))
			}
		}
	}
	return errors.Join(errs...)
}

// descendants lists the processes below pid, from /proc's parent links.
func descendants(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			parent[pp] = append(parent[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, parent[p]...)
		queue = append(queue, parent[p]...)
	}
	return out, nil
}

// parentOf reads the parent PID of pid from /proc/<pid>/stat.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(fields[1])
	return pp, err == nil
}

// childNamed finds the child of this process whose command name is comm.
func childNamed(comm string) (int, error) {
	kids, err := descendants(os.Getpid())
	if err != nil {
		return 0, err
	}
	for _, p := range kids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "comm"))
		if err == nil && strings.TrimSpace(string(b)) == comm {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no process %q among this one's", comm)
}

// sippCPUs is the taskset list sipp runs under in t, empty when it is free.
func (t topology) sippCPUs() string {
	if !t.Pinned {
		return ""
	}
	return strconv.Itoa(peerCPU)
}
