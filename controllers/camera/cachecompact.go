package camera

import (
	"slices"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// compactCamera gives the lists of a Camera about to be cached arrays of their own
// length. The JSON decoder grows a list to at least four items: a Camera's three
// conditions would hold room for four, and an IPC's one channel room for four channels,
// 480 bytes never used, for as long as the Camera stays cached; so would the presets of
// each of an NVR's channels, and its alarm inputs.
func compactCamera(c *gbv1.Camera) {
	st := &c.Status
	st.Conditions = clip(st.Conditions)
	st.Channels = clip(st.Channels)
	for i := range st.Channels {
		st.Channels[i].Presets = clip(st.Channels[i].Presets)
	}
	if ds := st.DeviceStatus; ds != nil {
		ds.AlarmInputs = clip(ds.AlarmInputs)
	}
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
