package devices

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// CameraOf reads the Camera key names from cache (nil when it is not there), and
// reports whether it belongs to another shard: missing from this operator's cache, which
// holds only its own shard's Cameras, yet known to api, the API server. That shard's
// operator acts for the objects naming it (Streams, commands, recording queries) and
// holds their finalizers; this one leaves them alone rather than report them
// CameraNotFound. A Camera missing everywhere is this operator's to report, as it is
// every shard's. The API server is asked, for the Camera's metadata only, just for the
// objects whose Camera this operator does not hold.
func CameraOf(ctx context.Context, cache, api client.Reader, key types.NamespacedName) (cam *gbv1.Camera, elsewhere bool, err error) {
	cam = &gbv1.Camera{}
	err = cache.Get(ctx, key, cam)
	switch {
	case err == nil:
		return cam, false, nil
	case !kerrors.IsNotFound(err):
		return nil, false, err
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(gbv1.GroupVersion.WithKind("Camera"))
	err = api.Get(ctx, key, meta)
	switch {
	case kerrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	// Another shard's, or ours and the cache has not caught up: its add event brings
	// the object back then.
	return nil, true, nil
}
