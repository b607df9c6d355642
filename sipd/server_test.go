package sipd_test

import (
	"context"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestListenAfter: a registrar told to wait (for its bindings to be seeded) binds its
// listeners only then, so its first answer to a seeded device is 200, not 503.
func TestListenAfter(t *testing.T) {
	store := devStore()
	gate := make(chan struct{})
	s, err := sipd.New(sipd.Config{ListenAddr: "127.0.0.1:0", Logger: quietLogger(), ListenAfter: gate}, store)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start returned %v", err)
		}
	})

	select {
	case <-s.Ready():
		t.Fatal("listening before ListenAfter was closed")
	case <-time.After(200 * time.Millisecond):
	}
	// The device's address is known before the registrar listens: its status recorded it.
	d := &sim.Scripted{ID: devID, Password: devPW, Server: "127.0.0.1:5060", Transport: "udp", Expires: 3600}
	t.Cleanup(d.Close)
	if err := d.Start(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: d.LocalAddr(),
		RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	close(gate)
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("not listening after ListenAfter was closed")
	}
	d.Server = s.UDPAddr()
	if res, err := d.Keepalive(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("first keepalive of a seeded device: want 200, got %v %v", res, err)
	}
}

// TestListenAfterCancelled: a registrar stopped while it waits returns cleanly.
func TestListenAfterCancelled(t *testing.T) {
	s, err := sipd.New(sipd.Config{ListenAddr: "127.0.0.1:0", Logger: quietLogger(), ListenAfter: make(chan struct{})}, sipdtest.NewStore(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}
