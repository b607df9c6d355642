package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Field indexes on Cameras in the informer cache. The registrar looks Cameras up by
// device ID on every REGISTER, and a Secret event must find the Cameras naming it; both
// are map lookups in the cache thanks to these indexes.
const (
	indexDeviceID   = "spec.deviceID"
	indexSecretName = "spec.credentialsSecretRef.name"
)

// addIndexes registers the Camera field indexes. It must run before the cache starts.
func addIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &gbv1.Camera{}, indexDeviceID, func(o client.Object) []string {
		cam, ok := o.(*gbv1.Camera)
		if !ok || cam.Spec.DeviceID == "" {
			return nil
		}
		return []string{cam.Spec.DeviceID}
	}); err != nil {
		return fmt.Errorf("index %s: %w", indexDeviceID, err)
	}
	if err := indexer.IndexField(ctx, &gbv1.Camera{}, indexSecretName, func(o client.Object) []string {
		cam, ok := o.(*gbv1.Camera)
		if !ok || cam.Spec.CredentialsSecretRef.Name == "" {
			return nil
		}
		return []string{cam.Spec.CredentialsSecretRef.Name}
	}); err != nil {
		return fmt.Errorf("index %s: %w", indexSecretName, err)
	}
	return nil
}

// camerasWithDeviceID lists, from the cache, every Camera of the cluster that claims
// deviceID. The returned objects are shared with the cache: callers must not modify them.
func camerasWithDeviceID(ctx context.Context, r client.Reader, deviceID string) ([]gbv1.Camera, error) {
	var list gbv1.CameraList
	if err := r.List(ctx, &list, client.MatchingFields{indexDeviceID: deviceID}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list cameras with device ID %q: %w", deviceID, err)
	}
	return list.Items, nil
}
