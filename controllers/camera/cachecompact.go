package camera

import (
	"slices"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// compactCamera gives the lists of a Camera about to be cached arrays of their own
// length. The JSON decoder grows a list to at least four items: a Camera's three
// conditions would hold room for four, and an IPC's one channel room for four channels,
// 480 bytes never used, for as long as the Camera stays cached.
func compactCamera(c *gbv1.Camera) {
	st := &c.Status
	st.Conditions = clip(st.Conditions)
	st.Channels = clip(st.Channels)
	st.Subscriptions = clip(st.Subscriptions)
	c.Finalizers = clip(c.Finalizers)
	c.OwnerReferences = clip(c.OwnerReferences)
}

// clip returns s in an array of its own length when s has room to spare.
func clip[S ~[]E, E any](s S) S {
	if cap(s) == len(s) || len(s) == 0 {
		return s
	}
	return slices.Clone(s)
}
