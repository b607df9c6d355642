package camera

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestCacheTransform: cached objects keep what the operator reads and lose managedFields
// and client-side apply's copy of the object.
func TestCacheTransform(t *testing.T) {
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{
		Name:          "gate",
		Annotations:   map[string]string{lastApplied: `{"spec":{}}`, "team": "east"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}, Spec: gbv1.CameraSpec{DeviceID: "34020000001320000001"}}
	out, err := CacheTransform(cam)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*gbv1.Camera)
	if len(got.ManagedFields) != 0 {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if _, ok := got.Annotations[lastApplied]; ok {
		t.Error("the last-applied annotation is kept")
	}
	if got.Annotations["team"] != "east" || got.Spec.DeviceID != "34020000001320000001" || got.Name != "gate" {
		t.Errorf("stripped more than asked: %+v", got)
	}
}
