package camera

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
)

// The Camera controller's workqueue holds device IDs. Besides devices.Changes (the
// registrar, the querier and the credential store), two watches feed it: Cameras, by the
// device ID they claim, and Secrets (metadata only), by the device IDs of the Cameras
// naming them.

// enqueueCameraDevice maps a Camera to the device ID it claims: creating, changing or
// deleting a Camera can change its own status and the election among its peers.
func enqueueCameraDevice() handler.TypedEventHandler[client.Object, string] {
	return handler.TypedEnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []string {
		cam, ok := o.(*gbv1.Camera)
		if !ok || cam.Spec.DeviceID == "" {
			return nil
		}
		return []string{cam.Spec.DeviceID}
	})
}

// cameraChanged passes the Camera events that can change a status: creation, deletion,
// and updates of the spec (generation) or of the deletion timestamp. Status updates (the
// reconciler's own writes) and metadata-only updates pass no more.
var cameraChanged = predicate.Or[client.Object](
	predicate.GenerationChangedPredicate{},
	predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return (e.ObjectOld.GetDeletionTimestamp() == nil) != (e.ObjectNew.GetDeletionTimestamp() == nil)
		},
	},
)

// indexSecretName is the field index of Cameras by the Secret they name: a Secret's
// event finds its Cameras as a map lookup in the cache.
const indexSecretName = "spec.credentialsSecretRef.name"

// addIndexes registers the Camera field indexes the controller uses: by device ID and
// by Secret. It must run before the cache starts.
func addIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := devices.AddIndex(ctx, indexer); err != nil {
		return err
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

// enqueueSecretDevices maps a Secret to the device IDs of the Cameras of its namespace
// that name it.
func enqueueSecretDevices(r client.Reader, log logr.Logger) handler.TypedEventHandler[client.Object, string] {
	return handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []string {
		var list gbv1.CameraList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()),
			client.MatchingFields{indexSecretName: o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
			log.Error(err, "cannot list the Cameras of a Secret", "secret", client.ObjectKeyFromObject(o))
			return nil
		}
		ids := make([]string, 0, len(list.Items))
		for i := range list.Items {
			ids = append(ids, list.Items[i].Spec.DeviceID)
		}
		return ids
	})
}
