package camera

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func TestTransitionEvents(t *testing.T) {
	reg := func(at time.Time) *gbv1.Registration {
		return &gbv1.Registration{RegisteredAt: metav1.NewTime(at), RemoteAddr: "192.0.2.1:5060", Transport: gbv1.TransportUDP}
	}
	now := metav1.NewTime(t0)
	tests := []struct {
		name     string
		old, cur gbv1.CameraStatus
		want     []string
	}{
		{"no change", gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, nil},
		{"first registration", gbv1.CameraStatus{State: gbv1.StatePending}, gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, []string{eventRegistered}},
		{"re-registration", gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0.Add(time.Hour))}, []string{eventRegistered}},
		{"back online", gbv1.CameraStatus{State: gbv1.StateOffline, Registration: reg(t0)}, gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, []string{eventRegistered}},
		{"offline", gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)}, gbv1.CameraStatus{State: gbv1.StateOffline, Registration: reg(t0)}, []string{eventOffline}},
		{"unregistered", gbv1.CameraStatus{State: gbv1.StateRegistered}, gbv1.CameraStatus{State: gbv1.StateUnregistered}, []string{eventUnregistered}},
		{"expired", gbv1.CameraStatus{State: gbv1.StateOffline}, gbv1.CameraStatus{State: gbv1.StateExpired}, []string{eventExpired}},
		{"conflict", gbv1.CameraStatus{}, gbv1.CameraStatus{State: gbv1.StateConflict}, []string{eventDuplicateDeviceID}},
		{"suspended", gbv1.CameraStatus{State: gbv1.StateRegistered}, gbv1.CameraStatus{State: gbv1.StateSuspended}, []string{eventSuspended}},
		{"auth failure is not a transition event", gbv1.CameraStatus{State: gbv1.StatePending}, gbv1.CameraStatus{State: gbv1.StateAuthFailed}, nil},
		{"catalog first", gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0)},
			gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0), CatalogUpdatedAt: &now, ChannelCount: 4}, []string{eventCatalogUpdated}},
		{"catalog unchanged", gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0), CatalogUpdatedAt: &now, ChannelCount: 4},
			gbv1.CameraStatus{State: gbv1.StateRegistered, Registration: reg(t0), CatalogUpdatedAt: &now, ChannelCount: 4}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := transitionEvents(&tc.old, &tc.cur)
			var got []string
			for _, e := range evs {
				got = append(got, e.reason)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("events = %v, want %v", got, tc.want)
				}
			}
		})
	}
}
