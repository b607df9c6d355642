package cacheindex

import (
	"context"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Cache is what an Index is built on: a controller-runtime cache.
type Cache interface {
	client.Reader
	client.FieldIndexer
}

// informerGetter is what a controller-runtime cache offers beyond Cache.
type informerGetter interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
}

// Index finds cached objects of type T by one key each (KeyFunc). It stores each
// object under its key's bucket (bucketOf), and a lookup keeps, of its key's bucket,
// the objects whose key is the one asked.
type Index[T client.Object] struct {
	name string
	key  KeyFunc[T]
	// buckets is how many buckets keys are hashed into (defaultBuckets but in tests).
	buckets int
	// indexer is the informer's, read straight; nil when the cache has none, and then
	// reader's List is read through the field index name.
	indexer toolscache.Indexer
	reader  client.Reader
	newList func() client.ObjectList
}

// KeyFunc is an object's key in an index; "" leaves the object out of it. Keys are
// cluster-wide: a key of namespaced references includes the namespace.
type KeyFunc[T client.Object] func(T) string

// Add indexes the objects of obj's kind in c by key, under name, and returns the index
// to read. newList makes an empty list of the kind (read when c has no single indexer).
// It must run before c starts.
func Add[T client.Object](ctx context.Context, c Cache, obj T, newList func() client.ObjectList, name string, key KeyFunc[T]) (*Index[T], error) {
	return add(ctx, c, obj, newList, name, key, defaultBuckets)
}

// add is Add with keys hashed into the given number of buckets, which tests lower to
// make keys share a bucket.
func add[T client.Object](ctx context.Context, c Cache, obj T, newList func() client.ObjectList, name string, key KeyFunc[T], buckets int) (*Index[T], error) {
	if buckets < 1 || buckets > defaultBuckets {
		return nil, fmt.Errorf("index %s: %d buckets, want 1 to %d", name, buckets, defaultBuckets)
	}
	x := &Index[T]{name: name, key: key, buckets: buckets, reader: c, newList: newList}
	inf, indexer, err := informerIndexer(ctx, c, obj)
	if err != nil {
		return nil, err
	}
	if indexer != nil {
		if _, ok := indexer.GetIndexers()[name]; !ok {
			if err := inf.AddIndexers(toolscache.Indexers{name: x.indexFunc}); err != nil {
				return nil, fmt.Errorf("index %s: %w", name, err)
			}
		}
		x.indexer = indexer
		return x, nil
	}
	// The field index is queried cluster-wide only (Lookup), so its per-namespace keys
	// are the price of a cache that has no single indexer; they are buckets too, so
	// their sets are bounded by the buckets of each namespace.
	if err := c.IndexField(ctx, obj, name, func(o client.Object) []string { return x.bucketsOf(o) }); err != nil {
		return nil, fmt.Errorf("index %s: %w", name, err)
	}
	return x, nil
}

// indexFunc is x's client-go index function: an object's bucket.
func (x *Index[T]) indexFunc(o any) ([]string, error) { return x.bucketsOf(o), nil }

// bucketsOf is the bucket of o's key, alone; none when o is no T or has no key.
func (x *Index[T]) bucketsOf(o any) []string {
	if t, ok := o.(T); ok {
		if k := x.key(t); k != "" {
			return []string{bucketOf(k, x.buckets)}
		}
	}
	return nil
}

// informerIndexer is c's informer of obj's kind and its client-go indexer; the indexer
// is nil when c has no such single indexer.
func informerIndexer(ctx context.Context, c Cache, obj client.Object) (cache.Informer, toolscache.Indexer, error) {
	getter, ok := c.(informerGetter)
	if !ok {
		return nil, nil, nil
	}
	inf, err := getter.GetInformer(ctx, obj)
	if err != nil {
		return nil, nil, fmt.Errorf("the informer of %T: %w", obj, err)
	}
	withIndexer, ok := inf.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return nil, nil, nil
	}
	return inf, withIndexer.GetIndexer(), nil
}

// Direct reports whether x is read straight from the informer's indexer.
func (x *Index[T]) Direct() bool { return x.indexer != nil }

// Lookup returns the cached objects whose key is key. They are shared with the cache:
// callers must not modify them.
func (x *Index[T]) Lookup(ctx context.Context, key string) ([]T, error) {
	if key == "" {
		return nil, nil // objects without a key are not indexed
	}
	bucket := bucketOf(key, x.buckets)
	if x.indexer != nil {
		objs, err := x.indexer.ByIndex(x.name, bucket)
		if err != nil {
			return nil, fmt.Errorf("index %s, key %q: %w", x.name, key, err)
		}
		return withKey(objs, x.key, key), nil
	}
	list := x.newList()
	if err := x.reader.List(ctx, list, client.MatchingFields{x.name: bucket}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list by %s %q: %w", x.name, key, err)
	}
	objs, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("list by %s %q: %w", x.name, key, err)
	}
	return withKey(objs, x.key, key), nil
}

// withKey keeps the objects of a bucket that are Ts whose key is key, as Ts.
func withKey[T client.Object, E any](bucket []E, keyOf KeyFunc[T], key string) []T {
	var out []T
	for _, o := range bucket {
		if t, ok := any(o).(T); ok && keyOf(t) == key {
			out = append(out, t)
		}
	}
	return out
}
