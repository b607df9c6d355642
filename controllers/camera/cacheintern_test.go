package camera

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// decodedCamera is a registered Camera as the informer holds it: decoded from JSON, so
// that each of its strings is a copy of its own.
func decodedCamera(t testing.TB, i int) *gbv1.Camera {
	t.Helper()
	c := &gbv1.Camera{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cam-%05d", i), Namespace: "site-east",
			Labels: map[string]string{gbv1.ShardLabel: "east"}, ResourceVersion: fmt.Sprint(1000 + i), Generation: 1},
		Spec: gbv1.CameraSpec{DeviceID: fmt.Sprintf("340200000013200%05d", i),
			CredentialsSecretRef: gbv1.SecretKeySelector{Name: "east-credentials", Key: "password"}},
	}
	c.Status = controllertest.RegisteredStatus(c, int64(i))
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := &gbv1.Camera{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// TestInternCamera: Cameras share the strings they hold alike, and keep every value.
func TestInternCamera(t *testing.T) {
	tbl := &internTable{m: make(map[string]string)}
	a, b := decodedCamera(t, 1), decodedCamera(t, 2)
	want := b.DeepCopy()
	tbl.internCamera(a)
	tbl.internCamera(b)

	if b.Name != want.Name || b.Spec != want.Spec || b.Labels[gbv1.ShardLabel] != "east" || b.Namespace != want.Namespace {
		t.Fatalf("interning changed the Camera: %+v", b)
	}
	for name, pair := range map[string][2]string{
		"namespace":   {a.Namespace, b.Namespace},
		"secret name": {a.Spec.CredentialsSecretRef.Name, b.Spec.CredentialsSecretRef.Name},
		"state":       {string(a.Status.State), string(b.Status.State)},
		"reason":      {a.Status.Conditions[1].Reason, b.Status.Conditions[1].Reason},
		"model":       {a.Status.DeviceInfo.Model, b.Status.DeviceInfo.Model},
		"channel":     {a.Status.Channels[0].Manufacturer, b.Status.Channels[0].Manufacturer},
	} {
		if !sameString(pair[0], pair[1]) {
			t.Errorf("%s %q is not shared", name, pair[0])
		}
	}
	for k, v := range b.Labels {
		for ka, va := range a.Labels {
			if !sameString(k, ka) || !sameString(v, va) {
				t.Errorf("label %s=%s is not shared", k, v)
			}
		}
	}
	for _, unique := range []string{a.Name, a.Spec.DeviceID, a.ResourceVersion, a.Status.Conditions[1].Message, a.Status.Registration.RemoteAddr} {
		if _, ok := tbl.m[unique]; ok {
			t.Errorf("%q, unique to a Camera, was interned", unique)
		}
	}
}

// TestInternTableBounded: past maxInterned distinct strings the table stops growing and
// strings keep their own copies.
func TestInternTableBounded(t *testing.T) {
	tbl := &internTable{m: make(map[string]string)}
	for i := range maxInterned + 100 {
		c := &gbv1.Camera{Status: gbv1.CameraStatus{DeviceInfo: &gbv1.DeviceInfo{Model: fmt.Sprintf("model-%d", i)}}}
		tbl.internCamera(c)
		if c.Status.DeviceInfo.Model != fmt.Sprintf("model-%d", i) {
			t.Fatalf("model %d changed to %q", i, c.Status.DeviceInfo.Model)
		}
	}
	if len(tbl.m) > maxInterned {
		t.Fatalf("%d strings interned, bound %d", len(tbl.m), maxInterned)
	}
}

// BenchmarkCachedCamera reports the live heap of one cached registered Camera, with and
// without interning.
func BenchmarkCachedCamera(b *testing.B) {
	const cameras = 10000
	for _, interned := range []bool{false, true} {
		b.Run(fmt.Sprintf("interned=%v", interned), func(b *testing.B) {
			for range b.N {
				tbl := &internTable{m: make(map[string]string)}
				cams := make([]*gbv1.Camera, cameras)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range cams {
					cams[i] = decodedCamera(b, i)
					if interned {
						tbl.internCamera(cams[i])
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/cameras, "B/camera")
				runtime.KeepAlive(cams)
				runtime.KeepAlive(tbl)
			}
		})
	}
}
