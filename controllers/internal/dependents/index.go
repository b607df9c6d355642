package dependents

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// CameraField is the cache's field index of a dependent kind by the name of the Camera
// each dependent names; the cache keys it by namespace too (ListByCamera).
const CameraField = "spec.cameraRef.name"

// IndexByCamera adds the CameraField index of obj's kind to indexer, camera giving the
// Camera a dependent names. A dependent that names none is not indexed.
func IndexByCamera[P client.Object](ctx context.Context, indexer client.FieldIndexer, obj P, camera func(P) string) error {
	err := indexer.IndexField(ctx, obj, CameraField, func(o client.Object) []string {
		d, ok := o.(P)
		if !ok {
			return nil
		}
		if name := camera(d); name != "" {
			return []string{name}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index %s: %w", CameraField, err)
	}
	return nil
}

// ListByCamera lists into list the dependents of namespace ns that name Camera camera,
// from the CameraField index of the cache r. The items are the cache's own, not copies
// (client.UnsafeDisableDeepCopy): read them, never change them.
func ListByCamera(ctx context.Context, r client.Reader, list client.ObjectList, ns, camera string) error {
	return r.List(ctx, list, client.InNamespace(ns), client.MatchingFields{CameraField: camera}, client.UnsafeDisableDeepCopy)
}

// OnCamera is the handler of a controller's watch of Cameras: a change of a Camera (it
// registers, appears or goes) enqueues the dependents of it that dependentsOf gives.
func OnCamera(dependentsOf func(ctx context.Context, ns, camera string) []reconcile.Request) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, cam client.Object) []reconcile.Request {
		return dependentsOf(ctx, cam.GetNamespace(), cam.GetName())
	})
}
