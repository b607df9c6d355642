package cacheindex

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// benchCameras is the shard the benchmarks index: the size whose heap profile showed a
// set per indexed key.
const benchCameras = 50000

// indexScheme is how an index stores objects: under their key, one set per key, as the
// operator did, or under its bucket (Index).
type indexScheme struct {
	name string
	// indexFunc is the client-go index function of key.
	indexFunc func(key KeyFunc[*gbv1.Camera]) toolscache.IndexFunc
	// lookup finds the Cameras with key in indexer's index name.
	lookup func(ctx context.Context, indexer toolscache.Indexer, name string, key KeyFunc[*gbv1.Camera], k string) ([]*gbv1.Camera, error)
}

// indexSchemes are the schemes compared: each benchmark runs both, side by side.
var indexSchemes = []indexScheme{
	{
		name: "one-key-per-object",
		indexFunc: func(key KeyFunc[*gbv1.Camera]) toolscache.IndexFunc {
			return func(o any) ([]string, error) {
				if k := key(o.(*gbv1.Camera)); k != "" {
					return []string{k}, nil
				}
				return nil, nil
			}
		},
		lookup: func(_ context.Context, indexer toolscache.Indexer, name string, _ KeyFunc[*gbv1.Camera], k string) ([]*gbv1.Camera, error) {
			objs, err := indexer.ByIndex(name, k)
			out := make([]*gbv1.Camera, 0, len(objs))
			for _, o := range objs {
				out = append(out, o.(*gbv1.Camera))
			}
			return out, err
		},
	},
	{
		name: "bucketed",
		indexFunc: func(key KeyFunc[*gbv1.Camera]) toolscache.IndexFunc {
			return (&Index[*gbv1.Camera]{key: key, buckets: defaultBuckets}).indexFunc
		},
		lookup: func(ctx context.Context, indexer toolscache.Indexer, name string, key KeyFunc[*gbv1.Camera], k string) ([]*gbv1.Camera, error) {
			x := &Index[*gbv1.Camera]{name: name, key: key, buckets: defaultBuckets, indexer: indexer}
			return x.Lookup(ctx, k)
		},
	},
}

// benchKeys are the keys the operator indexes Cameras by, each unique to its Camera: the
// device ID, a field of the object, and the Secret, a string made per object.
var benchKeys = []struct {
	name string
	key  KeyFunc[*gbv1.Camera]
}{
	{"device-id", func(cam *gbv1.Camera) string { return cam.Spec.DeviceID }},
	{"secret", func(cam *gbv1.Camera) string { return cam.Namespace + "/" + cam.Spec.CredentialsSecretRef.Name }},
}

// benchShard is benchCameras Cameras, each with its own device ID and Secret.
func benchShard() []*gbv1.Camera {
	cams := make([]*gbv1.Camera, benchCameras)
	for i := range cams {
		cams[i] = &gbv1.Camera{
			ObjectMeta: metav1.ObjectMeta{Namespace: "site-a", Name: fmt.Sprintf("cam-%05d", i)},
			Spec: gbv1.CameraSpec{
				DeviceID:             fmt.Sprintf("340200000013200%05d", i),
				CredentialsSecretRef: gbv1.SecretKeySelector{Name: fmt.Sprintf("cam-%05d-credentials", i)},
			},
		}
	}
	return cams
}

// storeOf is a client-go indexer, as an informer's, holding cams and no index.
func storeOf(b *testing.B, cams []*gbv1.Camera) toolscache.Indexer {
	store := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{})
	for _, cam := range cams {
		if err := store.Add(cam); err != nil {
			b.Fatal(err)
		}
	}
	return store
}

// BenchmarkIndexMemory reports the live heap one index adds to an informer's indexer
// of 50,000 Cameras, per Camera, storing each under its key and under its key's
// bucket: what a shard saves per index by the buckets.
func BenchmarkIndexMemory(b *testing.B) {
	cams := benchShard()
	for _, key := range benchKeys {
		for _, scheme := range indexSchemes {
			b.Run(key.name+"/"+scheme.name, func(b *testing.B) {
				for range b.N {
					store := storeOf(b, cams)
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					if err := store.AddIndexers(toolscache.Indexers{"bench": scheme.indexFunc(key.key)}); err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/benchCameras, "B/object")
					runtime.KeepAlive(store)
				}
			})
		}
	}
}

// BenchmarkIndexLookup reports the time of one lookup by key in an index of 50,000
// Cameras, by key and by bucket (which tests the key of each Camera in the bucket):
// what the memory of BenchmarkIndexMemory costs the hot paths.
func BenchmarkIndexLookup(b *testing.B) {
	cams := benchShard()
	for _, key := range benchKeys {
		keys := make([]string, len(cams))
		for i, cam := range cams {
			keys[i] = key.key(cam)
		}
		for _, scheme := range indexSchemes {
			b.Run(key.name+"/"+scheme.name, func(b *testing.B) {
				store := storeOf(b, cams)
				if err := store.AddIndexers(toolscache.Indexers{"bench": scheme.indexFunc(key.key)}); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					found, err := scheme.lookup(b.Context(), store, "bench", key.key, keys[i%len(keys)])
					if err != nil || len(found) != 1 {
						b.Fatalf("lookup of %s found %d Cameras (%v), want 1", keys[i%len(keys)], len(found), err)
					}
					i += 7919 // a prime: lookups walk the buckets, not the order keys were made
				}
			})
		}
	}
}
