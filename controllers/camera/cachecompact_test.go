package camera

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
)

// TestCompactCamera: a decoded Camera's lists, which the JSON decoder gives room for four
// items, hold no spare room once compacted, and the same items.
func TestCompactCamera(t *testing.T) {
	cam := decodedCamera(t, 1)
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
		"conditions": {len(cam.Status.Conditions), cap(cam.Status.Conditions)},
		"channels":   {len(cam.Status.Channels), cap(cam.Status.Channels)},
	} {
		if lc[0] != lc[1] {
			t.Errorf("%s: %d items in room for %d", name, lc[0], lc[1])
		}
	}
}
