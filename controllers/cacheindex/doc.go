// Package cacheindex owns the indexes of cached objects that the operator's hot paths
// read: the Cameras of a device ID on every REGISTER, the Cameras naming a Secret.
//
// Where the cache has one informer per kind with a single client-go indexer (a
// cluster-wide cache, as the operator runs), an Index is a client-go index of that
// informer, read as a map lookup. A controller-runtime field index would keep two keys
// per object (one cluster-wide, one per namespace), each with a set of its own, and be
// read through the cache's List, which resolves the list's type and fills it by
// reflection; with tens of thousands of Cameras in one shard both show, in the heap
// and in the CPU profile of a registration load. Where the cache has no single indexer
// (a cache limited to several namespaces) an Index falls back to a field index read
// through List, with the same values.
//
// The value stored for an object is not its key but the bucket of its key, one of a
// fixed few thousand (bucket.go). client-go keeps a set, a Go map of some 200 bytes,
// per distinct value, and the keys indexed here are mostly unique to one object (a
// device ID, a Secret, the Camera a Stream names): a set per key was a set per object,
// 10 MB at 50,000 Cameras. Buckets bound the sets, an object costs one entry of a
// shared set (about 50 bytes against 290 with a set of its own), and a lookup pays for
// it by testing the key of each object in its bucket, about a dozen at 50,000 objects,
// to return only those with the key asked.
package cacheindex
