package recording

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// cameraOf reads rq's Camera from the cache (nil when it is not there), and reports
// whether it belongs to another shard: missing from this operator's cache, which holds
// only its own shard's Cameras, yet known to the API server. That shard's operator
// answers the query; this one leaves it alone rather than report CameraNotFound. The
// API server is asked, for the Camera's metadata only, just for queries whose Camera
// this operator does not hold.
func (r *reconciler) cameraOf(ctx context.Context, rq *gbv1.RecordingQuery) (cam *gbv1.Camera, elsewhere bool, err error) {
	key := types.NamespacedName{Namespace: rq.Namespace, Name: rq.Spec.CameraRef.Name}
	cam = &gbv1.Camera{}
	err = r.reader.Get(ctx, key, cam)
	switch {
	case err == nil:
		return cam, false, nil
	case !kerrors.IsNotFound(err):
		return nil, false, err
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(gbv1.GroupVersion.WithKind("Camera"))
	err = r.api.Get(ctx, key, meta)
	switch {
	case kerrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return nil, true, nil
}
