// Package cacheindex owns the indexes of cached objects that the operator's hot paths
// read: the Cameras of a device ID on every REGISTER, the Cameras naming a Secret.
//
// Where the cache has one informer per kind with a single client-go indexer (a
// cluster-wide cache, as the operator runs), an Index is a client-go index of that
// informer, read as a map lookup and holding one key per object. A controller-runtime
// field index would keep two keys per object (one cluster-wide, one per namespace),
// each with a set of its own, and be read through the cache's List, which resolves the
// list's type and fills it by reflection; with tens of thousands of Cameras in one
// shard both show, in the heap and in the CPU profile of a registration load. Where
// the cache has no single indexer (a cache limited to several namespaces) an Index
// falls back to a field index read through List, with the same keys.
package cacheindex
