package sipdtest_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestStoreLookup(t *testing.T) {
	s := sipdtest.NewStore(map[string]string{"34020000001320000001": "pw"})
	s.Set("34020000001320000002", sipd.Credentials{Password: "pw2", Suspended: true})
	tests := []struct {
		id      string
		want    sipd.Credentials
		wantErr error
	}{
		{"34020000001320000001", sipd.Credentials{Password: "pw"}, nil},
		{"34020000001320000002", sipd.Credentials{Password: "pw2", Suspended: true}, nil},
		{"34020000001320000003", sipd.Credentials{}, sipd.ErrUnknownDevice},
	}
	for _, tt := range tests {
		got, err := s.LookupCredentials(tt.id)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("LookupCredentials(%s) = %+v, %v; want %+v, %v", tt.id, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestStoreStates takes one device through the states a test sets, each step checked
// by the lookup the registrar makes.
func TestStoreStates(t *testing.T) {
	const id = "34020000001320000001"
	s := sipdtest.NewStore(map[string]string{id: "pw"})
	steps := []struct {
		name    string
		change  func()
		want    sipd.Credentials
		wantErr error
	}{
		{"declared", func() {}, sipd.Credentials{Password: "pw"}, nil},
		{"without usable credentials", func() { s.SetNoCredentials(id) }, sipd.Credentials{}, sipd.ErrNoCredentials},
		{"declared again", func() { s.SetPassword(id, "pw2") }, sipd.Credentials{Password: "pw2"}, nil},
		{"not ready", func() { s.SetReady(false) }, sipd.Credentials{}, sipd.ErrStoreNotReady},
		{"ready again", func() { s.SetReady(true) }, sipd.Credentials{Password: "pw2"}, nil},
		{"removed", func() { s.Remove(id) }, sipd.Credentials{}, sipd.ErrUnknownDevice},
		{"removed while unusable", func() { s.SetNoCredentials(id); s.Remove(id) }, sipd.Credentials{}, sipd.ErrUnknownDevice},
	}
	for _, st := range steps {
		st.change()
		got, err := s.LookupCredentials(id)
		if got != st.want || !errors.Is(err, st.wantErr) {
			t.Errorf("%s: LookupCredentials = %+v, %v; want %+v, %v", st.name, got, err, st.want, st.wantErr)
		}
	}
}

// TestChangesCountsAndWaits: Count counts every notification of a device; Wait returns
// once per batch of notifications newer than the last it returned for, and fails the
// test when none comes.
func TestChangesCountsAndWaits(t *testing.T) {
	c := sipdtest.NewChanges()
	c.Notify("a")
	c.Notify("a")
	c.Notify("b")
	if got := c.Count("a"); got != 2 {
		t.Errorf("Count(a) = %d, want 2", got)
	}
	c.Wait(t, "a") // both notifications of a
	c.Wait(t, "b")
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.Notify("a")
	}()
	c.Wait(t, "a") // the one sent later
	if got := c.Count("a"); got != 3 {
		t.Errorf("Count(a) = %d, want 3", got)
	}

	// With nothing new, Wait fails its test: run it on a TB that records the failure.
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Wait(rec, "b")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not give up")
	}
	if !rec.failed {
		t.Error("Wait returned without a new notification")
	}
}

// fatalRecorder records Fatalf instead of failing, and ends the goroutine as Fatalf does.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

// TestStartListenAddr: Start listens on loopback only, with port 0; another address is
// refused before anything is bound.
func TestStartListenAddr(t *testing.T) {
	store := sipdtest.NewStore(nil)
	for _, addr := range []string{"", "127.0.0.1:0", "127.0.0.2:0", "[::1]:0"} {
		srv, stop, err := sipdtest.Start(context.Background(), sipd.Config{ListenAddr: addr}, store)
		if err != nil {
			t.Errorf("ListenAddr %q: %v", addr, err)
			continue
		}
		if udp := srv.UDPAddr(); strings.HasSuffix(udp, ":0") || udp != srv.TCPAddr() {
			t.Errorf("ListenAddr %q: UDP %s, TCP %s, want one free port", addr, udp, srv.TCPAddr())
		}
		if err := stop(); err != nil {
			t.Errorf("ListenAddr %q: stop: %v", addr, err)
		}
	}
	for _, addr := range []string{":0", "0.0.0.0:0", "192.0.2.1:0", "127.0.0.1:5060", "localhost:0", "nonsense"} {
		if _, _, err := sipdtest.Start(context.Background(), sipd.Config{ListenAddr: addr}, store); err == nil {
			t.Errorf("ListenAddr %q accepted", addr)
		}
	}
}

// TestStartTRegistersADevice starts a registrar with StartT and registers a real
// simulated device against it over each transport: the helper gives a working registrar.
func TestStartTRegistersADevice(t *testing.T) {
	const id = "34020000001320000001"
	store := sipdtest.NewStore(nil)
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	store.SetPassword(id, "pw")
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			d, err := sim.NewDevice(sim.Config{ID: id, Password: "pw", Server: sipdtest.Addr(srv, transport), Transport: transport})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := d.Register(ctx); err != nil {
				t.Fatalf("register over %s: %v", transport, err)
			}
			if b := srv.Device(id).Binding; b == nil || !strings.EqualFold(b.Transport, transport) {
				t.Errorf("binding after registering over %s: %+v", transport, b)
			}
		})
	}
}
