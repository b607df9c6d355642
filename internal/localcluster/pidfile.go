package localcluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidFile records the processes a launcher started (PID and executable), so that a later
// run can end those a killed launcher left behind, and only those.
type pidFile struct{ path string }

// recordChildrenOf writes the current children of ppid.
func (p *pidFile) recordChildrenOf(ppid int) error {
	children, err := childrenOf(ppid)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, pid := range children {
		if exe, err := os.Readlink(procPath(pid, "exe")); err == nil {
			fmt.Fprintf(&b, "%d %s\n", pid, exe)
		}
	}
	return os.WriteFile(p.path, []byte(b.String()), 0o644)
}

// stopRecorded ends each recorded process that still runs the recorded executable.
func (p *pidFile) stopRecorded() error {
	f, err := os.Open(p.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pidText, exe, ok := strings.Cut(sc.Text(), " ")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil {
			continue
		}
		if running, _ := os.Readlink(procPath(pid, "exe")); running != exe {
			continue // gone, or the PID now belongs to another program
		}
		fmt.Fprintf(os.Stderr, "dev: stopping %s (PID %d) left by an earlier run\n", filepath.Base(exe), pid)
		terminate(pid, StopTimeout)
	}
	p.remove()
	return sc.Err()
}

func (p *pidFile) remove() { _ = os.Remove(p.path) }

// terminate sends SIGTERM, then SIGKILL after grace, and waits for pid to go.
func terminate(pid int, grace time.Duration) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for processExists(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(StopTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processExists reports whether pid is a live (not zombie) process.
func processExists(pid int) bool {
	stat, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(afterComm(string(stat)))
	return len(fields) > 0 && fields[0] != "Z"
}

// childrenOf lists the PIDs whose parent is ppid, from /proc.
func childrenOf(ppid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(procPath(pid, "stat"))
		if err != nil {
			continue
		}
		// Fields after "(comm)": state, ppid, ...
		fields := strings.Fields(afterComm(string(stat)))
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) && fields[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// afterComm returns /proc/PID/stat past the command name, which may hold spaces.
func afterComm(stat string) string {
	if i := strings.LastIndexByte(stat, ')'); i >= 0 {
		return stat[i+1:]
	}
	return stat
}

func procPath(pid int, name string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), name)
}
