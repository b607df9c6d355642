package devices

import (
	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Elect picks the Camera that owns a device ID when several claim it: the oldest by
// creationTimestamp, ties (the timestamp has one-second precision) broken by namespace
// and then name, so every replica and every restart picks the same one. Cameras being
// deleted claim nothing. It returns nil when no Camera claims the ID.
func Elect(cams []gbv1.Camera) *gbv1.Camera {
	var winner *gbv1.Camera
	for i := range cams {
		c := &cams[i]
		if c.DeletionTimestamp != nil {
			continue
		}
		if winner == nil || olderThan(c, winner) {
			winner = c
		}
	}
	return winner
}

// olderThan orders Cameras for elect.
func olderThan(a, b *gbv1.Camera) bool {
	at, bt := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !at.Equal(bt) {
		return at.Before(bt)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
