package sipd_test

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestKeepalive(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := devStore()
			changes := sipdtest.NewChanges()
			s := sipdtest.StartT(t, sipd.Config{Notifier: changes}, store)
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
			changes.Wait(t, devID)
			if b := s.Device(devID).Binding; b == nil || b.LastKeepalive.IsZero() {
				t.Fatalf("keepalive not recorded: %+v", b)
			}

			// A notification is answered, and signals nothing: no Camera status depends
			// on one, and a forged flood of them must cost the controllers nothing.
			before := changes.Count(devID)
			alarm := []byte(`<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Alarm</CmdType><SN>7</SN><DeviceID>` + devID + `</DeviceID></Notify>`)
			for range 3 {
				res, err = d.SendMessage(ctx, alarm)
				if err != nil || res.StatusCode != 200 {
					t.Fatalf("alarm: %v %v", res, err)
				}
			}
			if got := changes.Count(devID); got != before {
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
	store := sipdtest.NewStore(nil)
	store.SetReady(false)
	s := sipdtest.StartT(t, sipd.Config{}, store)
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
	s.Seed([]sipd.Binding{
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
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: "192.0.2.1:5060", RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}})
	d := device(t, s, "udp", devID, devPW)
	res, err := d.Keepalive(testCtx(t))
	if err != nil || res.StatusCode != 404 {
		t.Fatalf("keepalive from a moved device: %v %v", res, err)
	}
}

// TestKeepaliveAfterExpiryBeforeSweep: a registration past its expiry is over at once,
// not only when the sweeper gets to it, so the device's keepalive gets 404 and it
// registers again.
func TestKeepaliveAfterExpiryBeforeSweep(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{MinExpires: time.Second, SweepInterval: time.Hour}, store)
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
