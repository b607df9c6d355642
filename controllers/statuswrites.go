package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/gb28181/camera-operator/controllers/internal/statuswrites"
)

// newCountingClient is the manager's client (client.New's) with its status writes
// counted in camera_operator_status_writes_total (package statuswrites).
func newCountingClient(config *rest.Config, options client.Options) (client.Client, error) {
	c, err := client.NewWithWatch(config, options)
	if err != nil {
		return nil, err
	}
	scheme := c.Scheme()
	return interceptor.NewClient(c, interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			err := c.SubResource(sub).Update(ctx, obj, opts...)
			countStatusWrite(scheme, sub, obj, err)
			return err
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			err := c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			countStatusWrite(scheme, sub, obj, err)
			return err
		},
	}), nil
}

// countStatusWrite counts a write of obj's subresource sub that ended with err.
func countStatusWrite(scheme *runtime.Scheme, sub string, obj client.Object, err error) {
	if sub != "status" {
		return
	}
	kind := "unknown"
	if gvk, gerr := apiutil.GVKForObject(obj, scheme); gerr == nil {
		kind = gvk.Kind
	}
	statuswrites.Count(kind, err)
}
