package dependents

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/gb28181/camera-operator/controllers/cacheindex"
)

// Every change of a Camera (each registration of its device) asks which dependents of
// each kind name it, almost always none: the index of a dependent kind by the Camera
// each names is read as a map lookup in the kind's informer. Few dependents share a
// Camera, so each is stored under a hash bucket of its Camera's key rather than the key
// (see package cacheindex), and a lookup tests the keys of its bucket's few dependents.

// indexCamera names the index of a dependent kind by the Camera each names, keyed
// "namespace/camera" (cameraKey). Each kind has its informer, so one name serves all.
const indexCamera = "gb28181.io/camera-ref"

// ByCamera finds the cached dependents of one kind by the Camera they name.
type ByCamera[P client.Object] struct {
	index *cacheindex.Index[P]
}

// IndexByCamera indexes the dependents of obj's kind in the cache c by the Camera each
// names, which camera gives; a dependent that names none is not indexed. newList makes
// an empty list of the kind. It must run before c starts.
func IndexByCamera[P client.Object](ctx context.Context, c cacheindex.Cache, obj P, newList func() client.ObjectList, camera func(P) string) (*ByCamera[P], error) {
	x, err := cacheindex.Add(ctx, c, obj, newList, indexCamera, keyByCamera(camera))
	if err != nil {
		return nil, err
	}
	return &ByCamera[P]{index: x}, nil
}

// keyByCamera is the index's key of a dependent: the Camera it names, with its
// namespace, as a dependent names a Camera of its own namespace; "" when it names none.
func keyByCamera[P client.Object](camera func(P) string) cacheindex.KeyFunc[P] {
	return func(d P) string {
		name := camera(d)
		if name == "" {
			return ""
		}
		return cameraKey(d.GetNamespace(), name)
	}
}

// cameraKey is the key of Camera ns/camera in the index.
func cameraKey(ns, camera string) string { return ns + "/" + camera }

// Of returns the dependents of namespace ns that name Camera camera. They are the
// cache's own, not copies: read them, never change them.
func (x *ByCamera[P]) Of(ctx context.Context, ns, camera string) ([]P, error) {
	return x.index.Lookup(ctx, cameraKey(ns, camera))
}

// OnCamera is the handler of a controller's watch of Cameras: a change of a Camera (it
// registers, appears or goes) enqueues the dependents of it that dependentsOf gives.
func OnCamera(dependentsOf func(ctx context.Context, ns, camera string) []reconcile.Request) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, cam client.Object) []reconcile.Request {
		return dependentsOf(ctx, cam.GetNamespace(), cam.GetName())
	})
}
