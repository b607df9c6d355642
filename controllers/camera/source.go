package camera

import (
	"context"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/cacheindex"
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

// indexSecretName names the index of Cameras by the Secret they name, as
// "namespace/name": a Secret's event finds its Cameras as a map lookup in the cache.
const indexSecretName = "gb28181.io/credentials-secret"

// secretIndex is the index of Cameras by the Secret they name.
type secretIndex = *cacheindex.Index[*gbv1.Camera]

// addIndexes registers the Camera indexes the controller uses, by device ID and by
// Secret, and returns the latter. It must run before c starts.
func addIndexes(ctx context.Context, c cacheindex.Cache) (secretIndex, error) {
	if err := devices.AddIndex(ctx, c); err != nil {
		return nil, err
	}
	return cacheindex.Add(ctx, c, &gbv1.Camera{}, func() client.ObjectList { return &gbv1.CameraList{} },
		indexSecretName, func(cam *gbv1.Camera) string {
			if cam.Spec.CredentialsSecretRef.Name == "" {
				return ""
			}
			return cam.Namespace + "/" + cam.Spec.CredentialsSecretRef.Name
		})
}

// enqueueSecretDevices maps a Secret to the device IDs of the Cameras of its namespace
// that name it.
func enqueueSecretDevices(index secretIndex, log logr.Logger) handler.TypedEventHandler[client.Object, string] {
	return handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []string {
		cams, err := index.Lookup(ctx, o.GetNamespace()+"/"+o.GetName())
		if err != nil {
			log.Error(err, "cannot list the Cameras of a Secret", "secret", client.ObjectKeyFromObject(o))
			return nil
		}
		ids := make([]string, 0, len(cams))
		for _, cam := range cams {
			ids = append(ids, cam.Spec.DeviceID)
		}
		return ids
	})
}
