package cacheindex

import "strconv"

// An index stores each object under the bucket of its key, not under the key: client-go
// keeps one set (a Go map) per distinct index value, so a key unique to one object (a
// Camera's device ID, the Secret it names) costs a set per object, about 290 bytes of
// heap with its entry at 50,000 Cameras (BenchmarkIndexMemory). With keys hashed into a
// fixed number of buckets the sets are bounded by the bucket count and each object
// costs its entry in a shared set, about 50 bytes; a lookup then reads its key's bucket
// and keeps the objects whose own key is the one asked.
//
// defaultBuckets is 4096: at 50,000 objects a bucket holds about 12, so a lookup tests
// about 12 keys; below about 4,000 objects a bucket holds one and costs what a set per
// key did. Fewer buckets save little more, as the entries, not the sets, are then most
// of the cost (1024 buckets measured 43 bytes an object against 52), and make every
// lookup test proportionally more keys.
const defaultBuckets = 4096

// bucketNames are the index values of the buckets, made once so that indexing an
// object allocates no name; bucket b is named by b in hex.
var bucketNames = func() []string {
	names := make([]string, defaultBuckets)
	for b := range names {
		names[b] = strconv.FormatUint(uint64(b), 16)
	}
	return names
}()

// bucketOf is the name of key's bucket among buckets (1 to defaultBuckets). The hash is
// FNV-1a 64, written out so that it allocates nothing: fixed, so a key has the same
// bucket for the life of the process (and across processes), unlike maphash's random
// seed, and it spreads keys that differ only in their last digits (sequential device
// IDs) evenly (TestBucketOfSpreadsKeys).
func bucketOf(key string, buckets int) string {
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime64
	}
	return bucketNames[h%uint64(buckets)]
}
