package camera

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// needsWrite decides whether desired must be written over old. Any change is written at
// once, except changes of liveness alone: a newer lastKeepaliveTime (the first one is
// written at once), a refresh that only moves the same registration's expiresAt, or a
// catalog received again unchanged. Those wait until livenessDue, so a fleet in steady
// state costs one write per camera per interval however often its devices send
// keepalives or refresh.
func needsWrite(old, desired *gbv1.CameraStatus, lastWrite, now time.Time, interval time.Duration) bool {
	if equality.Semantic.DeepEqual(old, desired) {
		return false
	}
	if !livenessOnly(old, desired) {
		return true
	}
	return !now.Before(livenessDue(old, lastWrite, interval))
}

// livenessOnly reports whether desired differs from old in liveness fields only.
func livenessOnly(old, desired *gbv1.CameraStatus) bool {
	return equality.Semantic.DeepEqual(old, withoutLiveness(old, desired))
}

// livenessDue is when a liveness-only change of old is next written: interval after the
// later of this replica's last write and the recorded keepalive, and in any case
// expiryMargin before the recorded registration runs out. The status thus never shows a
// running registration whose expiresAt has passed (and a new leader, which seeds its
// registrar from status, never takes a live registration for a lapsed one), while
// expiresAt lags the registrar's by at most interval.
func livenessDue(old *gbv1.CameraStatus, lastWrite time.Time, interval time.Duration) time.Time {
	since := lastWrite
	if t := old.LastKeepaliveTime; t != nil && t.After(since) {
		since = t.Time
	}
	due := since.Add(interval)
	reg := old.Registration
	if reg != nil && (old.State == gbv1.StateRegistered || old.State == gbv1.StateOffline) {
		if e := reg.ExpiresAt.Add(-expiryMargin(reg, interval)); e.Before(due) {
			due = e
		}
	}
	return due
}

// statusLivenessDue is when a liveness-only change must reach the status itself while a
// Lease records liveness in between (lease.go): statusLivenessEvery intervals after the
// status last recorded it, before the recorded registration runs out (as livenessDue
// says), and an interval before a live subscription's recorded expiry (refreshAt renews
// it ten minutes before), so that the status never shows a lapsed registration or
// subscription that is live.
func statusLivenessDue(old *gbv1.CameraStatus, lastWrite time.Time, interval time.Duration) time.Time {
	since := lastWrite
	if t := old.LastKeepaliveTime; t != nil && t.After(since) {
		since = t.Time
	}
	due := since.Add(statusLivenessEvery * interval)
	if reg := old.Registration; reg != nil {
		due = earliest(due, reg.ExpiresAt.Add(-expiryMargin(reg, interval)))
	}
	for i := range old.Subscriptions {
		if s := &old.Subscriptions[i]; s.State == gbv1.SubscriptionActive && s.ExpiresAt != nil {
			due = earliest(due, s.ExpiresAt.Add(-interval))
		}
	}
	return due
}

// expiryMargin is how long before the recorded expiry a refreshed registration is
// written: a quarter of its lifetime, at most interval.
func expiryMargin(reg *gbv1.Registration, interval time.Duration) time.Duration {
	return min(time.Duration(reg.Expires)*time.Second/4, interval)
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
	withoutDeviceLiveness(old, m)
	subscriptionLiveness(old, m)
	return m
}
