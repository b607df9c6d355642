package controllers

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// servedElsewhere reports whether st's Camera exists but belongs to another shard: it
// is missing from this operator's cache, which holds only its own shard's Cameras, yet
// the API server has it. That shard's operator plays the Stream, holds its dialog and
// its finalizer; this one leaves the Stream alone rather than report it
// CameraNotFound. A Camera missing everywhere is this operator's to report, as it is
// every shard's. It costs one metadata read from the API server, and only for Streams
// whose Camera this operator does not hold.
func (r *StreamReconciler) servedElsewhere(ctx context.Context, st *gbv1.Stream) (bool, error) {
	key := types.NamespacedName{Namespace: st.Namespace, Name: st.Spec.CameraRef.Name}
	err := r.reader.Get(ctx, key, &gbv1.Camera{})
	switch {
	case err == nil:
		return false, nil
	case !kerrors.IsNotFound(err):
		return false, err
	}
	cam := &metav1.PartialObjectMetadata{}
	cam.SetGroupVersionKind(gbv1.GroupVersion.WithKind("Camera"))
	err = r.api.Get(ctx, key, cam)
	switch {
	case kerrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	// Another shard's, or ours and the cache has not caught up: its add event brings
	// the Stream back then.
	return true, nil
}
