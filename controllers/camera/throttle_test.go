package camera

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func TestNeedsWrite(t *testing.T) {
	interval := 5 * time.Minute
	mt := func(d time.Duration) *metav1.Time { x := metav1.NewTime(t0.Add(d)); return &x }
	base := func() gbv1.CameraStatus {
		return gbv1.CameraStatus{
			State:             gbv1.StateRegistered,
			LastKeepaliveTime: mt(-6 * time.Minute),
			Registration: &gbv1.Registration{RegisteredAt: *mt(-time.Hour), ExpiresAt: *mt(time.Hour),
				Expires: 7200, RemoteAddr: "192.0.2.1:5060"},
			CatalogUpdatedAt: mt(-30 * time.Minute),
			ChannelCount:     1,
		}
	}
	tests := []struct {
		name      string
		mutate    func(*gbv1.CameraStatus)
		lastWrite time.Time
		want      bool
		oldKA     time.Duration // the recorded keepalive, relative to t0 (0: base's)
	}{
		{"nothing changed", func(*gbv1.CameraStatus) {}, t0.Add(-time.Hour), false, 0},
		{"keepalive only, recent write", func(s *gbv1.CameraStatus) { s.LastKeepaliveTime = mt(0) }, t0.Add(-time.Minute), false, 0},
		{"keepalive only, recorded keepalive recent, no write by this replica", func(s *gbv1.CameraStatus) { s.LastKeepaliveTime = mt(0) }, time.Time{}, false, -4 * time.Minute},
		{"keepalive only, recorded keepalive old, no write by this replica", func(s *gbv1.CameraStatus) { s.LastKeepaliveTime = mt(0) }, time.Time{}, true, 0},
		{"keepalive only, interval passed", func(s *gbv1.CameraStatus) {
			s.LastKeepaliveTime = mt(0)
		}, t0.Add(-interval), true, 0},
		{"refresh only (same registration)", func(s *gbv1.CameraStatus) { s.Registration.ExpiresAt = *mt(2 * time.Hour) }, t0.Add(-time.Minute), false, 0},
		{"catalog received again unchanged", func(s *gbv1.CameraStatus) { s.CatalogUpdatedAt = mt(0) }, t0.Add(-time.Minute), false, 0},
		{"new registration", func(s *gbv1.CameraStatus) {
			s.Registration.RegisteredAt = *mt(0)
			s.Registration.ExpiresAt = *mt(2 * time.Hour)
		}, t0.Add(-time.Second), true, 0},
		{"new address", func(s *gbv1.CameraStatus) { s.Registration.RemoteAddr = "192.0.2.2:5060" }, t0.Add(-time.Second), true, 0},
		{"state change", func(s *gbv1.CameraStatus) { s.State = gbv1.StateOffline }, t0.Add(-time.Second), true, 0},
		{"catalog changed", func(s *gbv1.CameraStatus) { s.ChannelCount = 2; s.CatalogUpdatedAt = mt(0) }, t0.Add(-time.Second), true, 0},
		{"first catalog", func(s *gbv1.CameraStatus) {}, t0.Add(-time.Second), false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := base()
			if tc.oldKA != 0 {
				old.LastKeepaliveTime = mt(tc.oldKA)
			}
			desired := base()
			desired.LastKeepaliveTime = old.LastKeepaliveTime.DeepCopy()
			tc.mutate(&desired)
			if got := needsWrite(&old, &desired, tc.lastWrite, t0, interval); got != tc.want {
				t.Errorf("needsWrite = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("first keepalive is written at once", func(t *testing.T) {
		old := base()
		old.LastKeepaliveTime = nil
		desired := base()
		desired.LastKeepaliveTime = mt(0)
		if !needsWrite(&old, &desired, t0.Add(-time.Second), t0, interval) {
			t.Error("a first lastKeepaliveTime must be written")
		}
	})

	t.Run("first catalog is written at once", func(t *testing.T) {
		old := base()
		old.CatalogUpdatedAt = nil
		desired := base()
		if !needsWrite(&old, &desired, t0.Add(-time.Second), t0, interval) {
			t.Error("a first catalogUpdatedAt must be written")
		}
	})
}

// TestStatusLivenessDue: while a Lease records liveness, the status's own liveness write
// is due an hour (12 intervals) after it last recorded liveness, before its registration
// runs out, and an interval before a live subscription's recorded expiry.
func TestStatusLivenessDue(t *testing.T) {
	interval := 5 * time.Minute
	mt := func(d time.Duration) *metav1.Time { x := metav1.NewTime(t0.Add(d)); return &x }
	tests := []struct {
		name      string
		status    gbv1.CameraStatus
		lastWrite time.Time
		want      time.Time
	}{
		{"an hour after this replica's last write", gbv1.CameraStatus{LastKeepaliveTime: mt(-2 * time.Hour)}, t0, t0.Add(time.Hour)},
		{"an hour after the recorded keepalive, for a new leader", gbv1.CameraStatus{LastKeepaliveTime: mt(-10 * time.Minute)}, time.Time{}, t0.Add(50 * time.Minute)},
		{"before the registration runs out", gbv1.CameraStatus{LastKeepaliveTime: mt(0),
			Registration: &gbv1.Registration{ExpiresAt: *mt(30 * time.Minute), Expires: 3600}}, t0, t0.Add(25 * time.Minute)},
		{"a short registration, a quarter of its life before", gbv1.CameraStatus{LastKeepaliveTime: mt(0),
			Registration: &gbv1.Registration{ExpiresAt: *mt(10 * time.Minute), Expires: 600}}, t0, t0.Add(10*time.Minute - 150*time.Second)},
		{"an interval before a live subscription's expiry", gbv1.CameraStatus{LastKeepaliveTime: mt(0),
			Subscriptions: []gbv1.SubscriptionStatus{
				{Event: "Alarm", State: gbv1.SubscriptionFailed, ExpiresAt: mt(time.Minute)},
				{Event: "Catalog", State: gbv1.SubscriptionActive, ExpiresAt: mt(20 * time.Minute)},
			}}, t0, t0.Add(15 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusLivenessDue(&tc.status, tc.lastWrite, interval); !got.Equal(tc.want) {
				t.Errorf("statusLivenessDue = %s, want %s", got.Sub(t0), tc.want.Sub(t0))
			}
		})
	}
}
