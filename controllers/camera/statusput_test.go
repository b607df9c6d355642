package camera

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// TestMain stops the shared control plane the status write's test starts.
func TestMain(m *testing.M) { controllertest.Main(m) }

// TestStatusPut writes Camera statuses to kube-apiserver as the Camera controller does:
// the status is stored and the returned resourceVersion is the stored Camera's, written
// by the field manager on the status subresource; a stale resourceVersion or another
// Camera's UID is a conflict and a Camera that is gone is not found, each counted by
// its outcome, with the stored Camera unchanged.
func TestStatusPut(t *testing.T) {
	kube, put, ns := newTestPutter(t, "camera-status-test")
	ctx := t.Context()

	tests := []struct {
		name string
		// body changes the body of a write that would succeed.
		body       func(b *gbv1.Camera, cam *gbv1.Camera)
		wantErr    func(error) bool
		wantResult string
	}{
		{name: "the status is written", wantResult: "ok"},
		{name: "a stale resourceVersion conflicts", wantErr: kerrors.IsConflict, wantResult: "conflict",
			body: func(b, cam *gbv1.Camera) {
				// The Camera is changed after the body was made from it.
				cam.Labels = map[string]string{"site": "gate"}
				if err := kube.Update(ctx, cam); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "another Camera's UID conflicts", wantErr: kerrors.IsConflict, wantResult: "conflict",
			body: func(b, _ *gbv1.Camera) { b.UID = types.UID("00000000-0000-0000-0000-000000000000") }},
		{name: "a Camera gone is not found", wantErr: kerrors.IsNotFound, wantResult: "error",
			body: func(_, cam *gbv1.Camera) {
				if err := kube.Delete(ctx, cam.DeepCopy()); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "cam-" + strings.Repeat("a", i+1), Namespace: ns},
				Spec: gbv1.CameraSpec{DeviceID: "3402000000132000000" + string(rune('1'+i)),
					CredentialsSecretRef: gbv1.SecretKeySelector{Name: "s", Key: "password"}}}
			if err := kube.Create(ctx, cam); err != nil {
				t.Fatal(err)
			}
			status := controllertest.RegisteredStatus(cam, int64(i))
			body := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: ns, UID: cam.UID,
				ResourceVersion: cam.ResourceVersion}, Status: status}
			if tt.body != nil {
				tt.body(body, cam)
			}
			before := statusWritesCounted(t, tt.wantResult)

			rv, err := put.put(ctx, body)

			if got := statusWritesCounted(t, tt.wantResult) - before; got != 1 {
				t.Errorf("camera_operator_status_writes_total{kind=Camera,result=%s} grew by %v, want 1", tt.wantResult, got)
			}
			stored := &gbv1.Camera{}
			getErr := kube.Get(ctx, client.ObjectKeyFromObject(cam), stored)
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("put: %v, want the error %s asks for", err, tt.name)
				}
				if getErr == nil && stored.Status.State != "" {
					t.Errorf("a refused write stored the status: state %q", stored.Status.State)
				}
				return
			}
			if err != nil || getErr != nil {
				t.Fatalf("put: %v; get: %v", err, getErr)
			}
			if rv != stored.ResourceVersion || rv == cam.ResourceVersion {
				t.Errorf("put returned resourceVersion %q; stored %q, before the write %q", rv, stored.ResourceVersion, cam.ResourceVersion)
			}
			if stored.Status.State != gbv1.StateRegistered || len(stored.Status.Channels) != 1 || stored.Status.Registration.RemoteAddr != status.Registration.RemoteAddr {
				t.Errorf("stored status %+v, want the written one", stored.Status)
			}
			var byPutter bool
			for _, mf := range stored.ManagedFields {
				byPutter = byPutter || (mf.Manager == "camera-status-test" && mf.Subresource == "status" && mf.Operation == metav1.ManagedFieldsOperationUpdate)
			}
			if !byPutter {
				t.Errorf("managed fields %+v: no update of the status by camera-status-test", stored.ManagedFields)
			}
		})
	}
}

// newTestPutter returns a client of the shared control plane, a putter writing to it as
// fieldManager, and a namespace of the test's own.
func newTestPutter(t testing.TB, fieldManager string) (client.Client, *statusPutter, string) {
	t.Helper()
	kube := controllertest.ControlPlane(t)
	cfg := controllertest.RestConfig(t)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	put, err := newStatusPutter(cfg, controllertest.Scheme, hc, fieldManager)
	if err != nil {
		t.Fatal(err)
	}
	return kube, put, controllertest.NewNamespace(t, kube)
}

// statusWritesCounted reads camera_operator_status_writes_total{kind="Camera",result}.
func statusWritesCounted(t *testing.T, result string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "camera_operator_status_writes_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if label(m, "kind") == "Camera" && label(m, "result") == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// label is the value of m's label name.
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// BenchmarkStatusPut compares, on the operator's side, a Camera status write by the
// putter with the same write by controller-runtime's client (which decodes the whole
// Camera the API server answers with), alternating in one run against kube-apiserver:
// the allocations per write are the operator's garbage, and the time per write
// includes the API server's.
//
//	go test ./controllers/camera -run '^$' -bench StatusPut -benchmem
func BenchmarkStatusPut(b *testing.B) {
	kube, put, ns := newTestPutter(b, "camera-status-bench")
	ctx := b.Context()
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "cam-bench", Namespace: ns},
		Spec: gbv1.CameraSpec{DeviceID: "34020000001320000001", CredentialsSecretRef: gbv1.SecretKeySelector{Name: "s", Key: "password"}}}
	if err := kube.Create(ctx, cam); err != nil {
		b.Fatal(err)
	}
	var round int64
	body := func() *gbv1.Camera {
		round++
		return &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: ns, UID: cam.UID,
			ResourceVersion: cam.ResourceVersion}, Status: controllertest.RegisteredStatus(cam, round)}
	}
	ways := map[string]func() error{
		"client-update": func() error {
			b := body()
			err := kube.Status().Update(ctx, b, client.FieldOwner("camera-status-bench"))
			cam.ResourceVersion = b.ResourceVersion
			return err
		},
		"putter": func() error {
			rv, err := put.put(ctx, body())
			cam.ResourceVersion = rv
			return err
		},
	}
	for _, name := range []string{"client-update", "putter", "client-update", "putter"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := ways[name](); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
