package devices

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// indexDeviceID is the field index of Cameras by the device ID they claim, in the
// informer cache: the registrar looks Cameras up by device ID on every REGISTER, and
// each controller maps a device's changes to its Cameras, both as map lookups.
const indexDeviceID = "spec.deviceID"

// AddIndex registers the device ID index of Cameras. It must run before the cache starts.
func AddIndex(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &gbv1.Camera{}, indexDeviceID, func(o client.Object) []string {
		cam, ok := o.(*gbv1.Camera)
		if !ok || cam.Spec.DeviceID == "" {
			return nil
		}
		return []string{cam.Spec.DeviceID}
	}); err != nil {
		return fmt.Errorf("index %s: %w", indexDeviceID, err)
	}
	return addDirectIndex(ctx, indexer)
}

// CamerasWithID lists, from the cache, every Camera of the cluster that claims
// deviceID. The returned objects are shared with the cache: callers must not modify them.
func CamerasWithID(ctx context.Context, r client.Reader, deviceID string) ([]gbv1.Camera, error) {
	if cams, ok, err := directCameras(r, deviceID); ok {
		return cams, err
	}
	var list gbv1.CameraList
	if err := r.List(ctx, &list, client.MatchingFields{indexDeviceID: deviceID}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list cameras with device ID %q: %w", deviceID, err)
	}
	return list.Items, nil
}
