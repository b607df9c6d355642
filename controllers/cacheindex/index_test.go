package cacheindex

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
)

// TestIndexAnswersAsTheAPIServer runs real caches against kube-apiserver, one
// cluster-wide (read straight from the informer's indexer, with no field index beside
// it) and one limited to two namespaces (read through a field index), and checks that
// each finds by key exactly the Cameras the API server holds with that key (the key is
// the Secret a Camera names, with its namespace): a key two Cameras share, a key of
// one, the same Secret name in another namespace, a key of none, and again after a
// deletion and after a Camera changes its key.
func TestIndexAnswersAsTheAPIServer(t *testing.T) {
	bySecret := func(cam *gbv1.Camera) string { return cam.Namespace + "/" + cam.Spec.CredentialsSecretRef.Name }
	kube, direct, listed := indexesOnBothCaches(t, bySecret)
	ctx := t.Context()
	const shared, alone, elsewhere, none = "site-a/shared", "site-a/alone", "site-b/shared", "site-b/alone"
	for i, c := range []struct{ ns, name, secret string }{{"site-a", "a", "shared"}, {"site-a", "b", "shared"}, {"site-a", "c", "alone"}, {"site-b", "d", "shared"}} {
		cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: c.ns},
			Spec: gbv1.CameraSpec{DeviceID: fmt.Sprintf("3402000000132000%04d", i+1), CredentialsSecretRef: gbv1.SecretKeySelector{Name: c.secret}}}
		if err := kube.Create(ctx, cam); err != nil {
			t.Fatal(err)
		}
	}
	// truth is what the API server holds with the key.
	truth := func(key string) []string {
		var list gbv1.CameraList
		if err := kube.List(ctx, &list); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, cam := range list.Items {
			if bySecret(&cam) == key {
				out = append(out, cam.Namespace+"/"+cam.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	names := func(x *Index[*gbv1.Camera], id string) []string {
		cams, err := x.Lookup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, cam := range cams {
			out = append(out, cam.Namespace+"/"+cam.Name)
		}
		slices.Sort(out)
		return out
	}
	check := func(step string) {
		t.Helper()
		for _, id := range []string{shared, alone, elsewhere, none} {
			want := truth(id)
			for mode, x := range map[string]*Index[*gbv1.Camera]{"direct": direct, "field index": listed} {
				deadline := time.Now().Add(30 * time.Second)
				for got := names(x, id); !slices.Equal(got, want); got = names(x, id) {
					if time.Now().After(deadline) {
						t.Fatalf("%s: %s lookup of %s = %v, the API server holds %v", step, mode, id, got, want)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
	}
	check("created")
	if len(truth(shared)) != 2 || len(truth(alone)) != 1 || len(truth(elsewhere)) != 1 {
		t.Fatalf("the Cameras were not created as the test needs: %v, %v, %v", truth(shared), truth(alone), truth(elsewhere))
	}
	if err := kube.Delete(ctx, &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "site-a"}}); err != nil {
		t.Fatal(err)
	}
	check("deleted")
	var c gbv1.Camera
	if err := kube.Get(ctx, client.ObjectKey{Namespace: "site-a", Name: "c"}, &c); err != nil {
		t.Fatal(err)
	}
	c.Spec.CredentialsSecretRef.Name = "shared"
	if err := kube.Update(ctx, &c); err != nil {
		t.Fatal(err)
	}
	check("key changed")
	if len(truth(shared)) != 2 || len(truth(alone)) != 0 {
		t.Fatalf("the update did not move the key: %v, %v", truth(shared), truth(alone))
	}
}

// indexesOnBothCaches starts kube-apiserver with the namespaces site-a and site-b and
// two caches of it: one cluster-wide, whose index must be read straight from the
// informer's indexer with no field index beside it, and one limited to the two
// namespaces, whose index must fall back to a field index. It returns a client of the
// API server and the two indexes by key.
func indexesOnBothCaches(t *testing.T, key KeyFunc[*gbv1.Camera]) (kube client.Client, direct, listed *Index[*gbv1.Camera]) {
	t.Helper()
	env, err := kubetest.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = gbv1.AddToScheme(scheme)
	// The caches end before the API server stops (cleanups run last first), which
	// otherwise waits for their watches.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kube, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"site-a", "site-b"} {
		if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	newList := func() client.ObjectList { return &gbv1.CameraList{} }
	const name = "test/secret"

	wide, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	direct, err = Add(ctx, wide, &gbv1.Camera{}, newList, name, key)
	if err != nil {
		t.Fatal(err)
	}
	if !direct.Direct() {
		t.Fatal("a cluster-wide cache's index is not read from the informer's indexer")
	}
	inf, err := wide.GetInformer(ctx, &gbv1.Camera{})
	if err != nil {
		t.Fatal(err)
	}
	for idx := range inf.(interface{ GetIndexer() toolscache.Indexer }).GetIndexer().GetIndexers() {
		if strings.HasPrefix(idx, "field:") {
			t.Errorf("the direct index keeps a field index %q beside it: two more keys per object", idx)
		}
	}
	limited, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{"site-a": {}, "site-b": {}}})
	if err != nil {
		t.Fatal(err)
	}
	listed, err = Add(ctx, limited, &gbv1.Camera{}, newList, name, key)
	if err != nil {
		t.Fatal(err)
	}
	if listed.Direct() {
		t.Fatal("a cache of several namespaces claims a single indexer")
	}
	go func() { _ = wide.Start(ctx) }()
	go func() { _ = limited.Start(ctx) }()

	return kube, direct, listed
}
