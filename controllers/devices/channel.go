package devices

import (
	"slices"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// ChannelOf is the channel an object names by its spec's channelID (a Stream plays it, a
// RecordingQuery searches it, a CameraCommand controls it): channelID, else the
// device itself.
func ChannelOf(channelID string, cam *gbv1.Camera) string {
	if channelID != "" {
		return channelID
	}
	return cam.Spec.DeviceID
}

// ChannelKnown reports whether channel is the Camera's device itself or a channel of its
// catalog. A Camera whose catalog is not known yet gets the benefit of the doubt: the
// device refuses a channel it does not have.
func ChannelKnown(cam *gbv1.Camera, channel string) bool {
	if channel == cam.Spec.DeviceID || len(cam.Status.Channels) == 0 {
		return true
	}
	return slices.ContainsFunc(cam.Status.Channels, func(c gbv1.Channel) bool { return c.ID == channel })
}
