package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// serveRegistrarArg, as the bench's first argument, makes it the registrar alone: sipd
// with one password for every device, in a process of its own. The keepalive
// comparison runs it beside the operator so that both are measured on equal terms: one
// process each, the same machine at the same moment, the same load generator, and the
// same garbage collector setting. The operator runs at GOGC 50 (for memory: RSS per
// camera). With the registrar alone at Go's default of 100, collecting half as often,
// the comparison measured the setting, not what the operator's pipeline adds: 86-88 %
// with the operator at 50, 106 % with it at 100; both at 50, 98-110 %
// (docs/scaling.md, "Keepalives at the operator's GOGC").
const serveRegistrarArg = "serve-registrar-alone"

// serveRegistrarAlone is the child's main: it prints "listening <udp address>", then
// serves until its stdin closes or it is signalled.
func serveRegistrarAlone(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: bench", serveRegistrarArg, "PASSWORD")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, stopSrv, err := sipdtest.Start(ctx, sipd.Config{}, sipdtest.OnePassword(args[0]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "registrar alone:", err)
		return 1
	}
	fmt.Printf("listening %s\n", srv.UDPAddr())
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
	if err := stopSrv(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "registrar alone:", err)
		return 1
	}
	return 0
}

// registrarProcess is a running registrar-alone child.
type registrarProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startRegistrarProcess runs this binary as the registrar alone, accepting password
// from every device, at GOGC gcPercent (negative: off, as go_gc_gogc_percent reports
// it; 0: Go's default), and returns once it listens.
func startRegistrarProcess(ctx context.Context, password string, gcPercent int) (*registrarProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, serveRegistrarArg, password)
	switch {
	case gcPercent > 0:
		cmd.Env = append(os.Environ(), "GOGC="+strconv.Itoa(gcPercent))
	case gcPercent < 0:
		cmd.Env = append(os.Environ(), "GOGC=off")
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &registrarProcess{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			return nil, errors.Join(fmt.Errorf("registrar alone: unexpected first line %q", l), p.stop())
		}
		p.addr = addr
		return p, nil
	case <-time.After(30 * time.Second):
		return nil, errors.Join(errors.New("registrar alone: not listening after 30 s"), p.stop())
	case <-ctx.Done():
		return nil, errors.Join(ctx.Err(), p.stop())
	}
}

// cpuSeconds is the CPU time the child has used.
func (p *registrarProcess) cpuSeconds() (float64, error) { return processCPU(p.cmd.Process.Pid) }

// stop ends the child (by closing its stdin, then by its PID) and waits for it.
func (p *registrarProcess) stop() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		return <-done
	}
}

// registerAll registers ids at addr with full digest exchanges over clients sockets.
func registerAll(addr string, ids []string, password string, clients int) error {
	conns := make([]*rawConn, clients)
	for i := range conns {
		c, err := dialRaw(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		conns[i] = c
	}
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for ci, c := range conns {
		wg.Go(func() {
			for i := ci; i < len(ids); i += clients {
				if err := c.register(ids[i], password); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d registrations failed: %v", f, len(ids), firstErr)
	}
	return nil
}
