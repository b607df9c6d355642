package camera

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestCompactCamera: a decoded Camera's lists, which the JSON decoder gives room for four
// items, hold no spare room once compacted, and the same items.
func TestCompactCamera(t *testing.T) {
	cam := decodedNVR(t)
	if cap(cam.Status.Conditions) == len(cam.Status.Conditions) && cap(cam.Status.Channels) == len(cam.Status.Channels) {
		t.Fatalf("the decoder left no spare room (conditions %d/%d, channels %d/%d): nothing to test",
			len(cam.Status.Conditions), cap(cam.Status.Conditions), len(cam.Status.Channels), cap(cam.Status.Channels))
	}
	want := cam.DeepCopy()
	compactCamera(cam)
	if !equality.Semantic.DeepEqual(cam, want) {
		t.Fatalf("compacting changed the Camera:\n%+v\nwant\n%+v", cam, want)
	}
	for name, lc := range map[string][2]int{
		"conditions":             {len(cam.Status.Conditions), cap(cam.Status.Conditions)},
		"channels":               {len(cam.Status.Channels), cap(cam.Status.Channels)},
		"a channel's presets":    {len(cam.Status.Channels[1].Presets), cap(cam.Status.Channels[1].Presets)},
		"the device's alarm ins": {len(cam.Status.DeviceStatus.AlarmInputs), cap(cam.Status.DeviceStatus.AlarmInputs)},
	} {
		if lc[0] != lc[1] {
			t.Errorf("%s: %d items in room for %d", name, lc[0], lc[1])
		}
	}
}

// decodedNVR is a registered NVR of two channels, the second with three presets, and
// three alarm inputs, decoded from JSON as the informer holds it.
func decodedNVR(t *testing.T) *gbv1.Camera {
	t.Helper()
	cam := decodedCamera(t, 1)
	ch := cam.Status.Channels[0]
	ch.Presets = []gbv1.Preset{{Index: 1, Name: "门口"}, {Index: 2, Name: "车道"}, {Index: 3}}
	cam.Status.Channels = append(cam.Status.Channels, ch)
	cam.Status.Channels[1].ID = cam.Spec.DeviceID[:10] + "1310000002"
	cam.Status.DeviceStatus = &gbv1.DeviceStatus{Online: true, QueriedAt: metav1.Now(),
		AlarmInputs: []gbv1.AlarmInputStatus{{ID: cam.Spec.DeviceID[:10] + "1340000001", DutyStatus: "ONDUTY"},
			{ID: cam.Spec.DeviceID[:10] + "1340000002", DutyStatus: "ONDUTY"}, {ID: cam.Spec.DeviceID[:10] + "1340000003", DutyStatus: "ALARM"}}}
	return roundTrip(t, cam)
}
