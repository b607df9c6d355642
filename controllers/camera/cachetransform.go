package camera

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// lastApplied is the annotation client-side `kubectl apply` (and Argo CD without
// server-side apply) keeps a whole copy of the object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

var stripManagedFields = cache.TransformStripManagedFields()

// CacheTransform is the manager cache's transform. It drops from every cached object
// what the operator never reads and what is a large share of its memory: managedFields,
// and the last-applied copy of the object that client-side apply keeps in an
// annotation. And it makes Cameras share the strings and labels they hold alike
// (cameraStrings) and hold their lists without room to spare (compactCamera).
// Status writes keep both in the API server: see writeStatus.
func CacheTransform(obj any) (any, error) {
	obj, err := stripManagedFields(obj)
	if err != nil {
		return obj, err
	}
	if o, ok := obj.(metav1.Object); ok {
		if a := o.GetAnnotations(); a[lastApplied] != "" {
			delete(a, lastApplied)
			o.SetAnnotations(a)
		}
	}
	if cam, ok := obj.(*gbv1.Camera); ok {
		compactCamera(cam)
		cameraStrings.internCamera(cam)
	}
	return obj, nil
}
