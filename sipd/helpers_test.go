package sipd

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// memStore is an in-memory CredentialStore.
type memStore struct {
	mu       sync.Mutex
	notReady bool
	creds    map[string]Credentials
	noCreds  map[string]bool
}

func newMemStore() *memStore {
	return &memStore{creds: map[string]Credentials{}, noCreds: map[string]bool{}}
}

func (m *memStore) set(id string, c Credentials) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.creds[id] = c
}

func (m *memStore) setReady(ready bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notReady = !ready
}

func (m *memStore) LookupCredentials(id string) (Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.notReady {
		return Credentials{}, ErrStoreNotReady
	}
	if m.noCreds[id] {
		return Credentials{}, ErrNoCredentials
	}
	c, ok := m.creds[id]
	if !ok {
		return Credentials{}, ErrUnknownDevice
	}
	return c, nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startServer runs a Server on a free 127.0.0.1 port until the test ends.
func startServer(t testing.TB, cfg Config, store CredentialStore) *Server {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := New(cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start returned %v", err)
		}
	})
	return s
}

// device returns a scripted device for s over transport, closed at test end.
func device(t testing.TB, s *Server, transport, id, password string) *sim.Scripted {
	t.Helper()
	d := &sim.Scripted{ID: id, Password: password, Server: s.UDPAddr(), Transport: transport, Expires: 3600}
	if transport == "tcp" {
		d.Server = s.TCPAddr()
	}
	t.Cleanup(d.Close)
	return d
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// changeRecorder is a Notifier that counts the notifications of each device.
type changeRecorder struct {
	mu     sync.Mutex
	counts map[string]int
	seen   map[string]int // counts already consumed by wait
	signal chan struct{}
}

func newChangeRecorder() *changeRecorder {
	return &changeRecorder{counts: map[string]int{}, seen: map[string]int{}, signal: make(chan struct{}, 1)}
}

func (r *changeRecorder) Notify(id string) {
	r.mu.Lock()
	r.counts[id]++
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// count is the number of notifications of id so far.
func (r *changeRecorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[id]
}

// wait waits for a notification of id newer than those already waited for.
func (r *changeRecorder) wait(t testing.TB, id string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		if r.counts[id] > r.seen[id] {
			r.seen[id] = r.counts[id]
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		select {
		case <-r.signal:
		case <-timeout:
			t.Fatalf("no change notified for %s", id)
		}
	}
}

var transports = []string{"udp", "tcp"}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// TestMain silences sipgo's package-level logger, which the test devices' TCP
// connections log through.
func TestMain(m *testing.M) {
	if target := os.Getenv(floodTargetEnv); target != "" {
		flood(target)
	}
	sip.SetDefaultLogger(quietLogger())
	os.Exit(m.Run())
}
