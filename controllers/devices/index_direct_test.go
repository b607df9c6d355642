package devices

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// TestCamerasWithIDReadsTheInformerIndex runs a real cache against kube-apiserver: the
// direct index answers what the cache's List answers, for a device ID two Cameras
// claim, one Camera claims and none claims, and follows a deletion.
func TestCamerasWithIDReadsTheInformerIndex(t *testing.T) {
	env, err := kubetest.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	scheme := runtime.NewScheme()
	_ = gbv1.AddToScheme(scheme)
	ctx := t.Context()
	c, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := AddIndex(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, ok := directIndexes.Load(client.Reader(c)); !ok {
		t.Fatal("the cache has no direct index after AddIndex")
	}
	go func() { _ = c.Start(ctx) }()
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	const shared, alone = "34020000001320000001", "34020000001320000002"
	for name, id := range map[string]string{"a": shared, "b": shared, "c": alone} {
		cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: gbv1.CameraSpec{DeviceID: id, CredentialsSecretRef: gbv1.SecretKeySelector{Name: "creds"}}}
		if err := kube.Create(ctx, cam); err != nil {
			t.Fatal(err)
		}
	}
	names := func(cams []gbv1.Camera) []string {
		var out []string
		for _, cam := range cams {
			out = append(out, cam.Name)
		}
		slices.Sort(out)
		return out
	}
	// What the cache's List says, the path without the direct index.
	listed := func(id string) []string {
		var list gbv1.CameraList
		if err := c.List(ctx, &list, client.MatchingFields{indexDeviceID: id}); err != nil {
			t.Fatal(err)
		}
		return names(list.Items)
	}
	check := func(want map[string][]string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok := true
			for id, w := range want {
				got, err := CamerasWithID(ctx, c, id)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(names(got), w) || !slices.Equal(listed(id), w) {
					ok = false
					if time.Now().After(deadline) {
						t.Fatalf("device %s: direct %v, List %v, want %v", id, names(got), listed(id), w)
					}
				}
			}
			if ok {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	check(map[string][]string{shared: {"a", "b"}, alone: {"c"}, "34020000001320000099": nil})
	if err := kube.Delete(ctx, &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}}); err != nil {
		t.Fatal(err)
	}
	check(map[string][]string{shared: {"b"}, alone: {"c"}})
}
