package sipd_test

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestQuietKeepalivesAndRefreshes: inside the quiet period the controllers set, a
// keepalive or a refresh from the same place only updates the table; the first
// keepalive, a keepalive after the period, a new registration and an unregistration are
// always signalled.
func TestQuietKeepalivesAndRefreshes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			store.Set(devID, sipd.Credentials{Password: devPW, Owner: "camera-uid"})
			clock, changes := testutil.NewClock(time.Now()), sipdtest.NewChanges()
			s := sipdtest.StartT(t, sipd.Config{Now: clock.Now, Notifier: changes}, store)
			d := device(t, s, tr, devID, devPW)
			ctx := testCtx(t)
			mustStatus := func(what string, code int, err error) {
				t.Helper()
				if err != nil || code != 200 {
					t.Fatalf("%s: %d %v", what, code, err)
				}
			}

			r, err := d.RegisterExpires(ctx, 600)
			mustStatus("register", r.Final.StatusCode, err)
			changes.Wait(t, devID)
			b := s.Device(devID).Binding
			if b == nil || b.Owner != "camera-uid" {
				t.Fatalf("binding does not record its owner: %+v", b)
			}
			res, err := d.Keepalive(ctx)
			mustStatus("first keepalive", res.StatusCode, err)
			changes.Wait(t, devID) // the first keepalive is news

			if !s.Quiet(devID, b.RegisteredAt, clock.Now().Add(5*time.Minute)) {
				t.Fatal("Quiet refused the live registration")
			}
			before := changes.Count(devID)
			for i := range 3 {
				clock.Advance(time.Minute)
				res, err := d.Keepalive(ctx)
				mustStatus("quiet keepalive", res.StatusCode, err)
				if got := s.Device(devID).Binding.LastKeepalive; !got.Equal(clock.Now()) {
					t.Fatalf("keepalive %d not recorded in the table: %v", i, got)
				}
			}
			r, err = d.RegisterExpires(ctx, 600)
			mustStatus("quiet refresh", r.Final.StatusCode, err)
			if got := s.Device(devID).Binding.ExpiresAt; !got.Equal(clock.Now().Add(600 * time.Second)) {
				t.Fatalf("refresh not recorded in the table: expires %v", got)
			}
			if got := changes.Count(devID); got != before {
				t.Fatalf("quiet keepalives and refresh notified %d times", got-before)
			}

			clock.Advance(3 * time.Minute) // past the quiet period
			res, err = d.Keepalive(ctx)
			mustStatus("keepalive after the quiet period", res.StatusCode, err)
			changes.Wait(t, devID)

			if s.Quiet(devID, b.RegisteredAt.Add(-time.Second), clock.Now().Add(time.Hour)) {
				t.Fatal("Quiet applied to a registration the device does not hold")
			}
			res, err = d.Unregister(ctx)
			mustStatus("unregister", res.StatusCode, err)
			changes.Wait(t, devID)
		})
	}
}

// TestDropOwned: only the owner's binding is dropped.
func TestDropOwned(t *testing.T) {
	store := sipdtest.NewStore(nil)
	store.Set(devID, sipd.Credentials{Password: devPW, Owner: "new-camera"})
	s := sipdtest.StartT(t, sipd.Config{}, store)
	d := device(t, s, "udp", devID, devPW)
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	if s.DropOwned(devID, "old-camera") || s.Device(devID).Binding == nil {
		t.Fatal("a former owner dropped the new owner's binding")
	}
	if !s.DropOwned(devID, "new-camera") || s.Device(devID).Binding != nil {
		t.Fatal("the owner could not drop its binding")
	}
}
