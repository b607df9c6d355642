package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// Kamailio as the reference registrar of `make bench-compare`: test/bench/kamailio's
// configuration, the devices' plain passwords in db_text tables written here, one child
// process on a free 127.0.0.1 port, ended by its PID.

// kamailio is a running Kamailio.
type kamailio struct {
	cmd  *exec.Cmd
	addr string
	log  string
	done chan error
}

// debianKamailio is where Debian's kamailio package installs the binary: in sbin, which
// is not on an unprivileged user's PATH.
const debianKamailio = "/usr/sbin/kamailio"

// kamailioBinary finds kamailio on the PATH or where Debian puts it.
func kamailioBinary() (string, error) {
	if bin, err := exec.LookPath("kamailio"); err == nil {
		return bin, nil
	}
	return exec.LookPath(debianKamailio)
}

// subscriberTableVersion is the version of auth_db's `subscriber` table that Kamailio
// 5.x checks in the `version` table before it starts.
const subscriberTableVersion = 7

// writeKamailioDB writes the db_text tables auth_db reads: each device's ID as user
// name, with its plain password.
func writeKamailioDB(dir string, ids []string, passwordOf func(string) string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	version := fmt.Sprintf("table_name(string) table_version(int)\nsubscriber:%d\n", subscriberTableVersion)
	if err := os.WriteFile(filepath.Join(dir, "version"), []byte(version), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("id(int,auto) username(string) domain(string,null) password(string) ha1(string,null) ha1b(string,null)\n")
	for i, id := range ids {
		// db_text escapes ':' in values; GB IDs and the bench's passwords have none.
		fmt.Fprintf(&b, "%d:%s:%s:%s:::\n", i+1, id, sipDomain, passwordOf(id))
	}
	return os.WriteFile(filepath.Join(dir, "subscriber"), []byte(b.String()), 0o644)
}

// startKamailio starts bin with the committed configuration and children UDP worker
// processes on a free UDP port, and waits until the first of ids registers.
func startKamailio(ctx context.Context, bin, dir string, children int, ids []string, passwordOf func(string) string) (*kamailio, error) {
	dbDir := filepath.Join(dir, "db")
	if err := writeKamailioDB(dbDir, ids, passwordOf); err != nil {
		return nil, err
	}
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	k := &kamailio{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: filepath.Join(dir, "kamailio.log"), done: make(chan error, 1)}
	logFile, err := os.Create(k.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cfg := filepath.Join(kubetest.RepoRoot(), "test", "bench", "kamailio", "kamailio.cfg")
	k.cmd = exec.Command(bin, "-f", cfg, "-DD", "-E",
		"-l", "udp:"+k.addr, "-n", strconv.Itoa(children),
		"-m", "256", "-M", "32", // shared and per-process memory (MB): 10k bindings fit many times
		"-A", `DBURL="text://`+dbDir+`"`)
	k.cmd.Dir = dir
	k.cmd.Stdout, k.cmd.Stderr = logFile, logFile
	// Its own process group, so that ending it by PID also ends its worker processes.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { k.done <- k.cmd.Wait() }()
	if err := k.waitRegistering(ctx, ids[0], passwordOf(ids[0]), 10*time.Second); err != nil {
		k.stop()
		return nil, err
	}
	return k, nil
}

// waitRegistering registers device id until it gets a 200: Kamailio is listening
// and has loaded the credentials.
func (k *kamailio) waitRegistering(ctx context.Context, id, password string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-k.done:
			return fmt.Errorf("kamailio exited: %v (see %s)", err, k.log)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		c, err := dialRaw(k.addr)
		if err != nil {
			return err
		}
		last = c.register(id, password)
		c.Close()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("kamailio did not register %s within %s: %v (see %s)", id, timeout, last, k.log)
}

// stop ends Kamailio's process group (its PID is the group's ID) and waits for it.
func (k *kamailio) stop() {
	pid := k.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	var err error
	select {
	case err = <-k.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		err = <-k.done
	}
	// Ended by the signal is how it is meant to end: the status only helps a debug run.
	slog.Debug("kamailio ended", "status", err)
}

// freeUDPPort returns a UDP port of 127.0.0.1 free a moment ago.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// place puts Kamailio and its worker processes where t says: alone on the registrar's
// core when pinned.
func (k *kamailio) place(t topology) error {
	cpus := allCPUs()
	if t.Pinned {
		cpus = []int{registrarCPU}
	}
	return setAffinity(k.cmd.Process.Pid, cpus)
}
