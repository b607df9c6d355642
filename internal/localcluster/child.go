package localcluster

import (
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// StopTimeout is how long a stopped process gets to exit before it is killed.
const StopTimeout = 10 * time.Second

// Child is a process started by the launcher.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startChild(path string, args, env []string, out io.Writer) (*Child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, so Ctrl-C reaches the launcher alone and shutdown is
		// ordered; and SIGTERM should the launcher die without stopping it.
		Setpgid:   true,
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	c := &Child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Err is the child's exit error, valid after Done.
func (c *Child) Err() error { return c.err }

// PID is the child's process ID.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to timeout, then SIGKILL, and waits for the exit.
func (c *Child) Stop(timeout time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
