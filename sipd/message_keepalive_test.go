package sipd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func TestKeepalive(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := newMemStore()
			store.set(devID, Credentials{Password: devPW})
			changes := newChangeRecorder()
			s := startServer(t, Config{Notifier: changes}, store)
			d := device(t, s, tr, devID, devPW)
			ctx := testCtx(t)

			res, err := d.Keepalive(ctx)
			if err != nil || res.StatusCode != 404 {
				t.Fatalf("keepalive before registering: %v %v", res, err)
			}
			if res, err := d.Register(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("register: %v %v", res, err)
			}
			res, err = d.Keepalive(ctx)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("keepalive: %v %v", res, err)
			}
			changes.wait(t, devID)
			if b := s.Device(devID).Binding; b == nil || b.LastKeepalive.IsZero() {
				t.Fatalf("keepalive not recorded: %+v", b)
			}

			// A notification is answered, and signals nothing: no Camera status depends
			// on one, and a forged flood of them must cost the controllers nothing.
			before := changes.count(devID)
			alarm := []byte(`<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Alarm</CmdType><SN>7</SN><DeviceID>` + devID + `</DeviceID></Notify>`)
			for range 3 {
				res, err = d.SendMessage(ctx, alarm)
				if err != nil || res.StatusCode != 200 {
					t.Fatalf("alarm: %v %v", res, err)
				}
			}
			if got := changes.count(devID); got != before {
				t.Errorf("notifications signalled %d changes, want none", got-before)
			}

			s.Drop(devID)
			if res, err := d.Keepalive(ctx); err != nil || res.StatusCode != 404 {
				t.Fatalf("keepalive after Drop: %v %v", res, err)
			}
		})
	}
}

func TestKeepaliveWhileStarting(t *testing.T) {
	store := newMemStore()
	store.setReady(false)
	s := startServer(t, Config{}, store)
	d := device(t, s, "udp", devID, devPW)
	ctx := testCtx(t)
	res, err := d.Keepalive(ctx)
	if err != nil || res.StatusCode != 503 || header(res, "Retry-After") == "" {
		t.Fatalf("keepalive while store not ready: %v %v", res, err)
	}
	// A seeded binding answers the device's keepalives without a re-registration.
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s.Seed([]Binding{
		{DeviceID: devID, Transport: "UDP", RemoteAddr: d.LocalAddr(), RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)},
		{DeviceID: "gone", ExpiresAt: time.Now().Add(-time.Second)},
	})
	res, err = d.Keepalive(ctx)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("keepalive with seeded binding: %v %v", res, err)
	}
	if s.Device("gone").Binding != nil {
		t.Error("expired binding seeded")
	}
}

func TestKeepaliveFromAnotherAddress(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{}, store)
	s.Seed([]Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: "192.0.2.1:5060", RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}})
	d := device(t, s, "udp", devID, devPW)
	res, err := d.Keepalive(testCtx(t))
	if err != nil || res.StatusCode != 404 {
		t.Fatalf("keepalive from a moved device: %v %v", res, err)
	}
}

func TestExpiry(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	clock, changes := testutil.NewClock(time.Now()), newChangeRecorder()
	s := startServer(t, Config{SweepInterval: 10 * time.Millisecond, Now: clock.Now, Notifier: changes}, store)
	d := device(t, s, "udp", devID, devPW)
	d.Expires = 60
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	changes.wait(t, devID)
	if st := s.Device(devID); st.Binding == nil {
		t.Fatalf("not registered: %+v", st)
	}
	clock.Advance(61 * time.Second)
	changes.wait(t, devID)
	st := s.Device(devID)
	if st.Binding != nil || st.LastExpired.IsZero() {
		t.Fatalf("after expiry: %+v", st)
	}
}

// TestKeepaliveAfterExpiryBeforeSweep: a registration past its expiry is over at once,
// not only when the sweeper gets to it, so the device's keepalive gets 404 and it
// registers again.
func TestKeepaliveAfterExpiryBeforeSweep(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{MinExpires: time.Second, SweepInterval: time.Hour}, store)
	d := device(t, s, "udp", devID, devPW)
	d.Expires = 1
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	if res, err := d.Keepalive(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("keepalive while registered: %v %v", res, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if res, err := d.Keepalive(testCtx(t)); err != nil || res.StatusCode != 404 {
		t.Fatalf("keepalive after expiry: want 404, got %v %v", res, err)
	}
}

func testCatalog(n int) []manscdp.CatalogItem {
	items := make([]manscdp.CatalogItem, n)
	for i := range items {
		items[i] = manscdp.CatalogItem{DeviceID: "3402000000131000000" + string(rune('0'+i)), Name: "通道" + string(rune('A'+i)), Status: "ON"}
	}
	return items
}

func TestQueries(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := newMemStore()
			store.set(devID, Credentials{Password: devPW})
			s := startServer(t, Config{}, store)
			d := device(t, s, tr, devID, devPW)
			d.Info = manscdp.DeviceInfo{DeviceName: "门口", Manufacturer: "Hikvision", Model: "DS-2CD", Firmware: "V5.5", Channel: 1, Result: "OK"}
			d.Catalog = testCatalog(5)
			d.CatalogPartSize = 2
			ctx := testCtx(t)

			if _, err := s.QueryDeviceInfo(ctx, DeviceRef{ID: devID}); !errors.Is(err, ErrNotRegistered) {
				t.Fatalf("query of unregistered device: %v", err)
			}
			if res, err := d.Register(ctx); err != nil || res.StatusCode != 200 {
				t.Fatalf("register: %v %v", res, err)
			}
			info, err := s.QueryDeviceInfo(ctx, DeviceRef{ID: devID})
			if err != nil {
				t.Fatal(err)
			}
			if info.DeviceName != "门口" || info.Manufacturer != "Hikvision" || info.Channel != 1 {
				t.Errorf("info %+v", info)
			}
			cat, err := s.QueryCatalog(ctx, DeviceRef{ID: devID})
			if err != nil {
				t.Fatal(err)
			}
			if cat.SumNum != 5 || len(cat.Items) != 5 || cat.Items[4].Name != "通道E" {
				t.Errorf("catalog %+v", cat)
			}

			d.SetCatalogParts(1)
			short, cancel := contextWithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			cat, err = s.QueryCatalog(short, DeviceRef{ID: devID})
			if !errors.Is(err, ErrPartialCatalog) || cat == nil || len(cat.Items) != 2 || cat.SumNum != 5 {
				t.Fatalf("partial catalog: %+v %v", cat, err)
			}
		})
	}
}

// TestListenAfter: a registrar told to wait (for its bindings to be seeded) binds its
// listeners only then, so its first answer to a seeded device is 200, not 503.
func TestListenAfter(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	gate := make(chan struct{})
	s, err := New(Config{ListenAddr: "127.0.0.1:0", Logger: quietLogger(), ListenAfter: gate}, store)
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
	s.Seed([]Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: d.LocalAddr(),
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
	s, err := New(Config{ListenAddr: "127.0.0.1:0", Logger: quietLogger(), ListenAfter: make(chan struct{})}, newMemStore())
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
