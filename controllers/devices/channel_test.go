package devices

import (
	"testing"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func TestChannelOf(t *testing.T) {
	cam := &gbv1.Camera{Spec: gbv1.CameraSpec{DeviceID: "34020000001180000001"}}
	if got := ChannelOf("", cam); got != cam.Spec.DeviceID {
		t.Errorf("ChannelOf without a channelID = %q, want the device %q", got, cam.Spec.DeviceID)
	}
	if got := ChannelOf("34020000001310000002", cam); got != "34020000001310000002" {
		t.Errorf("ChannelOf with a channelID = %q, want it", got)
	}
}

func TestChannelKnown(t *testing.T) {
	const device, inCatalog, notInCatalog = "34020000001180000001", "34020000001310000002", "34020000001310000009"
	withCatalog := &gbv1.Camera{Spec: gbv1.CameraSpec{DeviceID: device},
		Status: gbv1.CameraStatus{Channels: []gbv1.Channel{{ID: "34020000001310000001"}, {ID: inCatalog}}}}
	noCatalog := &gbv1.Camera{Spec: gbv1.CameraSpec{DeviceID: device}}
	for _, tc := range []struct {
		name    string
		cam     *gbv1.Camera
		channel string
		want    bool
	}{
		{"the device itself", withCatalog, device, true},
		{"a channel of the catalog", withCatalog, inCatalog, true},
		{"a channel not in the catalog", withCatalog, notInCatalog, false},
		{"any channel before the catalog is known", noCatalog, notInCatalog, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChannelKnown(tc.cam, tc.channel); got != tc.want {
				t.Errorf("ChannelKnown(%q) = %v, want %v", tc.channel, got, tc.want)
			}
		})
	}
}
