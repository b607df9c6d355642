package stream

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/internal/dependents"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// TestStreamsOfCameraReadsTheInformerIndex runs a real cache against kube-apiserver:
// the Streams of a Camera read from the informer's index are those the cache's List
// gives, Camera by Camera and namespace by namespace, and follow a deletion.
func TestStreamsOfCameraReadsTheInformerIndex(t *testing.T) {
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
	_ = corev1.AddToScheme(scheme)
	ctx := t.Context()
	c, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.IndexField(ctx, &gbv1.Stream{}, dependents.CameraField, func(o client.Object) []string {
		return []string{o.(*gbv1.Stream).Spec.CameraRef.Name}
	}); err != nil {
		t.Fatal(err)
	}
	index, err := newStreamIndex(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if index.indexer == nil {
		t.Fatal("a single-indexer cache gave no direct index")
	}
	go func() { _ = c.Start(ctx) }()
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ ns, name, camera string }{
		{"default", "s1", "a"}, {"default", "s2", "a"}, {"default", "s3", "b"}, {"other", "s4", "a"},
	} {
		st := &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.ns}, Spec: gbv1.StreamSpec{
			CameraRef:   gbv1.LocalObjectReference{Name: s.camera},
			Destination: gbv1.Destination{Host: "127.0.0.1", Port: 30000},
		}}
		if err := kube.Create(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	names := func(reqs []reconcile.Request) []string {
		var out []string
		for _, r := range reqs {
			out = append(out, r.String())
		}
		slices.Sort(out)
		return out
	}
	check := func(want map[[2]string][]string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok := true
			for cam, w := range want {
				direct := names(streamsOfCamera(ctx, c, index, cam[0], cam[1]))
				listed := names(streamsOfCamera(ctx, c, streamIndex{}, cam[0], cam[1]))
				if !slices.Equal(direct, w) || !slices.Equal(listed, w) {
					ok = false
					if time.Now().After(deadline) {
						t.Fatalf("Camera %s/%s: direct %v, List %v, want %v", cam[0], cam[1], direct, listed, w)
					}
				}
			}
			if ok {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	check(map[[2]string][]string{
		{"default", "a"}: {"default/s1", "default/s2"},
		{"default", "b"}: {"default/s3"},
		{"other", "a"}:   {"other/s4"},
		{"default", "c"}: nil,
	})
	if err := kube.Delete(ctx, &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: "default"}}); err != nil {
		t.Fatal(err)
	}
	check(map[[2]string][]string{{"default", "a"}: {"default/s2"}})
}
