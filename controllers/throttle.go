package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// needsWrite decides whether desired must be written over old. Any change is written at
// once, except changes of liveness alone: a newer lastKeepaliveTime (the first one is
// written at once), a refresh that only
// moves the same registration's expiresAt, or a catalog received again unchanged. Those
// are written at most every interval (since the last write of this Camera by this
// replica, or since the recorded keepalive), so a fleet in steady state costs one write
// per camera per interval however often its devices send keepalives or refresh.
func needsWrite(old, desired *gbv1.CameraStatus, lastWrite, now time.Time, interval time.Duration) bool {
	if equality.Semantic.DeepEqual(old, desired) {
		return false
	}
	if !equality.Semantic.DeepEqual(old, withoutLiveness(old, desired)) {
		return true
	}
	since := lastWrite
	if t := old.LastKeepaliveTime; t != nil && t.After(since) {
		since = t.Time
	}
	return now.Sub(since) >= interval
}

// withoutLiveness is desired with its liveness fields put back to old's values.
func withoutLiveness(old, desired *gbv1.CameraStatus) *gbv1.CameraStatus {
	m := desired.DeepCopy()
	// The first keepalive is news (it fills LAST SEEN); only later ones are throttled.
	if old.LastKeepaliveTime != nil {
		m.LastKeepaliveTime = old.LastKeepaliveTime.DeepCopy()
	}
	if m.Registration != nil && old.Registration != nil &&
		m.Registration.RegisteredAt.Equal(&old.Registration.RegisteredAt) {
		m.Registration.ExpiresAt = old.Registration.ExpiresAt
	}
	if old.CatalogUpdatedAt != nil && m.CatalogUpdatedAt != nil {
		m.CatalogUpdatedAt = old.CatalogUpdatedAt.DeepCopy()
	}
	return m
}
