package devices

import (
	"context"
	"fmt"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Every REGISTER looks its device's Cameras up twice (the challenge, then the answer),
// and every change of a device maps it to its Cameras and Streams again. Through the
// cache's List, each lookup resolves the list's type against the scheme, walks the
// delegating caches and fills a list by reflection: a fifth of the operator's CPU under
// a registration load (the profile of `make bench-compare`). So beside the field index
// the cache's List reads, the Camera informer gets a client-go index of its own, and
// CamerasWithID reads that index straight: a map lookup.

// indexerDeviceID names the client-go index of the Camera informer by device ID.
const indexerDeviceID = "gb28181.io/device-id"

// informerGetter is what a controller-runtime cache offers beyond client.FieldIndexer.
type informerGetter interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
}

// directIndexes holds, per cache (the reader CamerasWithID is given), the Camera
// indexer to read directly. A cache without one (a multi-namespace cache, whose
// informers hold no single indexer; a test's client) is read through List.
var directIndexes sync.Map // client.Reader → toolscache.Indexer

// addDirectIndex gives the Camera informer of c, if it is a cache with a single
// indexer, the index by device ID, and remembers the indexer for CamerasWithID.
func addDirectIndex(ctx context.Context, c client.FieldIndexer) error {
	getter, ok := c.(informerGetter)
	if !ok {
		return nil
	}
	inf, err := getter.GetInformer(ctx, &gbv1.Camera{})
	if err != nil {
		return fmt.Errorf("the Camera informer: %w", err)
	}
	withIndexer, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return nil
	}
	indexer := withIndexer.GetIndexer()
	if _, ok := indexer.GetIndexers()[indexerDeviceID]; !ok {
		if err := inf.AddIndexers(toolscache.Indexers{indexerDeviceID: deviceIDsOf}); err != nil {
			return fmt.Errorf("index %s: %w", indexerDeviceID, err)
		}
	}
	directIndexes.Store(c, indexer)
	return nil
}

// deviceIDsOf is the index function: the device ID a Camera claims.
func deviceIDsOf(obj any) ([]string, error) {
	cam, ok := obj.(*gbv1.Camera)
	if !ok || cam.Spec.DeviceID == "" {
		return nil, nil
	}
	return []string{cam.Spec.DeviceID}, nil
}

// directCameras reads the Cameras claiming deviceID from r's indexer; ok is false when
// r has none.
func directCameras(r client.Reader, deviceID string) (cams []gbv1.Camera, ok bool, err error) {
	v, ok := directIndexes.Load(r)
	if !ok {
		return nil, false, nil
	}
	objs, err := v.(toolscache.Indexer).ByIndex(indexerDeviceID, deviceID)
	if err != nil {
		return nil, true, fmt.Errorf("cameras with device ID %q: %w", deviceID, err)
	}
	cams = make([]gbv1.Camera, 0, len(objs))
	for _, o := range objs {
		if cam, ok := o.(*gbv1.Camera); ok {
			cams = append(cams, *cam)
		}
	}
	return cams, true, nil
}
