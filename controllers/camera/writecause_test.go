package camera

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func TestStatusWriteCause(t *testing.T) {
	mt := func(d time.Duration) *metav1.Time { x := metav1.NewTime(t0.Add(d)); return &x }
	registered := func() gbv1.CameraStatus {
		return gbv1.CameraStatus{
			State:             gbv1.StateRegistered,
			Conditions:        []metav1.Condition{{Type: "Registered", Status: metav1.ConditionTrue, Reason: "Registered"}},
			LastKeepaliveTime: mt(-time.Minute),
			Registration: &gbv1.Registration{RegisteredAt: *mt(-time.Hour), ExpiresAt: *mt(time.Hour),
				Expires: 7200, RemoteAddr: "192.0.2.1:5060"},
			DeviceInfo:       &gbv1.DeviceInfo{Manufacturer: "Hikvision"},
			CatalogUpdatedAt: mt(-30 * time.Minute),
			ChannelCount:     1,
		}
	}
	tests := []struct {
		name   string
		mutate func(*gbv1.CameraStatus)
		want   string
	}{
		{"state changed, with its condition", func(s *gbv1.CameraStatus) {
			s.State = gbv1.StateOffline
			s.Conditions[0].Status = metav1.ConditionFalse
		}, causeState},
		{"a new registration", func(s *gbv1.CameraStatus) {
			s.Registration.RegisteredAt, s.Registration.ExpiresAt = *mt(0), *mt(2 * time.Hour)
		}, causeRegistration},
		{"the contact moved", func(s *gbv1.CameraStatus) { s.Registration.RemoteAddr = "192.0.2.2:5060" }, causeRegistration},
		{"the device's answer to DeviceInfo", func(s *gbv1.CameraStatus) { s.DeviceInfo.Model = "DS-2CD" }, causeDevice},
		{"the first DeviceInfo", func(s *gbv1.CameraStatus) { s.DeviceInfo = &gbv1.DeviceInfo{Model: "DS-2CD"} }, causeDevice},
		{"a device answer beats a catalog change", func(s *gbv1.CameraStatus) {
			s.DeviceType = "IPC"
			s.ChannelCount = 2
		}, causeDevice},
		{"a catalog change", func(s *gbv1.CameraStatus) {
			s.ChannelCount = 2
			s.CatalogUpdatedAt = mt(0)
		}, causeCatalog},
		{"an alarm", func(s *gbv1.CameraStatus) { s.LastAlarm = &gbv1.Alarm{Priority: 1} }, causeEvents},
		{"a condition alone", func(s *gbv1.CameraStatus) {
			s.Conditions = append(s.Conditions, metav1.Condition{Type: "CatalogSynced", Status: metav1.ConditionTrue})
		}, causeConditions},
		{"the shard", func(s *gbv1.CameraStatus) { s.Shard = "east" }, causeOther},
		{"a keepalive", func(s *gbv1.CameraStatus) { s.LastKeepaliveTime = mt(0) }, causeLiveness},
		{"a refresh of the same registration and a keepalive", func(s *gbv1.CameraStatus) {
			s.Registration.ExpiresAt = *mt(2 * time.Hour)
			s.LastKeepaliveTime = mt(0)
		}, causeLiveness},
		{"the catalog received again unchanged", func(s *gbv1.CameraStatus) { s.CatalogUpdatedAt = mt(0) }, causeLiveness},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, desired := registered(), registered()
			tt.mutate(&desired)
			if got := statusWriteCause(&old, &desired); got != tt.want {
				t.Errorf("cause = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("the first write of a Camera", func(t *testing.T) {
		desired := registered()
		if got := statusWriteCause(&gbv1.CameraStatus{}, &desired); got != causeState {
			t.Errorf("cause = %q, want %q", got, causeState)
		}
	})
}
