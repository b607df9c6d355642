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
// deletion and after a Camera changes its key. Each cache has the index twice: with
// the buckets it runs with, and with one bucket, where every Camera shares the bucket
// of every key and only the lookup's test of each Camera's own key tells them apart
// (the key change then leaves the bucket as it was, as a change within a bucket does).
func TestIndexAnswersAsTheAPIServer(t *testing.T) {
	bySecret := func(cam *gbv1.Camera) string { return cam.Namespace + "/" + cam.Spec.CredentialsSecretRef.Name }
	kube, indexes := indexesOnBothCaches(t, bySecret, defaultBuckets, 1)
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
			for mode, x := range indexes {
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
	// Every key's lookup answered as the API server does; with one bucket that holds all
	// four Cameras, only the test of each Camera's key can have done it.
	direct1, listed1 := indexes["direct, 1 bucket"], indexes["field index, 1 bucket"]
	if inBucket, err := direct1.indexer.ByIndex(direct1.name, bucketOf(shared, 1)); err != nil || len(inBucket) != 4 {
		t.Fatalf("the direct index's one bucket holds %d Cameras (%v), want all 4", len(inBucket), err)
	}
	var inBucket gbv1.CameraList
	if err := listed1.reader.List(ctx, &inBucket, client.MatchingFields{listed1.name: bucketOf(shared, 1)}); err != nil || len(inBucket.Items) != 4 {
		t.Fatalf("the field index's one bucket holds %d Cameras (%v), want all 4", len(inBucket.Items), err)
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
// two caches of it: one cluster-wide, whose indexes must be read straight from the
// informer's indexer with no field index beside them, and one limited to the two
// namespaces, whose indexes must fall back to a field index. Each cache has an index by
// key with each of the given bucket counts. It returns a client of the API server and
// the indexes, by "direct" or "field index" and their bucket count.
func indexesOnBothCaches(t *testing.T, key KeyFunc[*gbv1.Camera], bucketCounts ...int) (kube client.Client, indexes map[string]*Index[*gbv1.Camera]) {
	t.Helper()
	cfg, scheme := kubetest.Start(t)
	// The caches end before the API server stops (cleanups run last first), which
	// otherwise waits for their watches.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var err error
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
	indexes = make(map[string]*Index[*gbv1.Camera])
	bucketsName := func(n int) string {
		if n == 1 {
			return "1 bucket"
		}
		return fmt.Sprintf("%d buckets", n)
	}

	wide, err := cache.New(cfg, cache.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range bucketCounts {
		direct, err := add(ctx, wide, &gbv1.Camera{}, newList, fmt.Sprintf("test/secret-%d", n), key, n)
		if err != nil {
			t.Fatal(err)
		}
		if !direct.Direct() {
			t.Fatal("a cluster-wide cache's index is not read from the informer's indexer")
		}
		indexes["direct, "+bucketsName(n)] = direct
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
	for _, n := range bucketCounts {
		listed, err := add(ctx, limited, &gbv1.Camera{}, newList, fmt.Sprintf("test/secret-%d", n), key, n)
		if err != nil {
			t.Fatal(err)
		}
		if listed.Direct() {
			t.Fatal("a cache of several namespaces claims a single indexer")
		}
		indexes["field index, "+bucketsName(n)] = listed
	}
	go func() { _ = wide.Start(ctx) }()
	go func() { _ = limited.Start(ctx) }()

	return kube, indexes
}
