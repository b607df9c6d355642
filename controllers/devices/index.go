package devices

import (
	"context"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/cacheindex"
)

// Every REGISTER looks its device's Cameras up twice (the challenge, then the answer),
// and every change of a device maps it to its Cameras and Streams again: the index of
// Cameras by device ID is read as a map lookup in the Camera informer. A device ID is
// unique to its Camera, so the index stores each Camera under a hash bucket of its ID
// rather than the ID (see package cacheindex): one set per ID would be a Go map per
// Camera, and a lookup instead tests the IDs of the dozen or so Cameras of a bucket.

// indexDeviceID names the index of Cameras by the device ID they claim.
const indexDeviceID = "gb28181.io/device-id"

// deviceIndexes holds, per cache (the reader CamerasWithID is given), its index.
var deviceIndexes sync.Map // client.Reader → *cacheindex.Index[*gbv1.Camera]

// AddIndex registers the device ID index of Cameras in c. It must run before c starts.
func AddIndex(ctx context.Context, c cacheindex.Cache) error {
	x, err := cacheindex.Add(ctx, c, &gbv1.Camera{}, func() client.ObjectList { return &gbv1.CameraList{} },
		indexDeviceID, func(cam *gbv1.Camera) string { return cam.Spec.DeviceID })
	if err != nil {
		return err
	}
	deviceIndexes.Store(client.Reader(c), x)
	return nil
}

// CamerasWithID lists, from the cache r (given to AddIndex), every Camera of the cluster
// that claims deviceID. The returned objects are shared with the cache: callers must
// not modify them.
func CamerasWithID(ctx context.Context, r client.Reader, deviceID string) ([]gbv1.Camera, error) {
	v, ok := deviceIndexes.Load(r)
	if !ok {
		return nil, fmt.Errorf("cameras with device ID %q: %T has no device ID index (AddIndex)", deviceID, r)
	}
	cams, err := v.(*cacheindex.Index[*gbv1.Camera]).Lookup(ctx, deviceID)
	if err != nil {
		return nil, fmt.Errorf("cameras with device ID %q: %w", deviceID, err)
	}
	out := make([]gbv1.Camera, len(cams))
	for i, cam := range cams {
		out[i] = *cam
	}
	return out, nil
}
