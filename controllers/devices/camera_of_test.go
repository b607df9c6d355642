package devices

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestCameraOfServedElsewhere: an object naming a Camera is left to another shard
// exactly when the Camera exists in the API server but not in this operator's cache (which holds its own shard's
// Cameras only). A pure unit test: the two readers are fake clients.
func TestCameraOfServedElsewhere(t *testing.T) {
	s := runtime.NewScheme()
	if err := gbv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: "site", Name: "gate", Labels: map[string]string{gbv1.ShardLabel: "west"}}}
	key := client.ObjectKey{Namespace: "site", Name: "gate"}
	with := func(objs ...client.Object) client.Reader {
		return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	}
	failing := fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("cache unavailable")
		},
	}).Build()
	tests := []struct {
		name       string
		cache, api client.Reader
		want       bool
		wantErr    bool
	}{
		{"in this shard's cache", with(cam), with(cam), false, false},
		{"another shard's: only the API server has it", with(), with(cam), true, false},
		{"no such Camera anywhere: this operator reports it", with(), with(), false, false},
		{"the cache fails", failing, with(cam), false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := CameraOf(t.Context(), tc.cache, tc.api, key)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("elsewhere = %v, %v; want %v (error: %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
