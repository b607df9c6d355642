package cacheindex

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"testing"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestBucketOfIsFNV1a checks bucketOf against hash/fnv's FNV-1a 64 modulo the bucket
// count: a fixed hash, so a key's bucket is the same whenever it
// is asked (the index stores under the bucket of the key at the object's add and reads
// under the bucket of the key asked later), and in range for every bucket count.
func TestBucketOfIsFNV1a(t *testing.T) {
	for _, key := range []string{"", "a", "34020000001320000001", "site-a/shared", "ns/cam-00042"} {
		h := fnv.New64a()
		_, _ = h.Write([]byte(key))
		sum := h.Sum64()
		for _, buckets := range []int{1, 2, 7, 1000, defaultBuckets} {
			want := sum % uint64(buckets)
			got := bucketOf(key, buckets)
			if got != strconv.FormatUint(want, 16) {
				t.Errorf("bucketOf(%q, %d) = %s, want %x", key, buckets, got, want)
			}
			if again := bucketOf(key, buckets); again != got {
				t.Errorf("bucketOf(%q, %d) = %s, then %s", key, buckets, got, again)
			}
			b, err := strconv.ParseUint(got, 16, 64)
			if err != nil || b >= uint64(buckets) {
				t.Errorf("bucketOf(%q, %d) = %s: out of range", key, buckets, got)
			}
		}
	}
}

// TestBucketOfSpreadsKeys hashes 50,000 keys of the shapes the operator indexes, which
// differ only in their last digits, into the default buckets: no bucket may hold more
// than three times the mean (about 12), or a lookup would test that many more keys.
func TestBucketOfSpreadsKeys(t *testing.T) {
	const keys = 50000
	for _, shape := range []struct{ name, format string }{
		{"device IDs", "340200000013200%05d"},
		{"Secrets", "site-a/cam-%05d-credentials"},
		{"Cameras", "site-a/cam-%05d"},
	} {
		t.Run(shape.name, func(t *testing.T) {
			load := make(map[string]int, defaultBuckets)
			for i := range keys {
				load[bucketOf(fmt.Sprintf(shape.format, i), defaultBuckets)]++
			}
			mean := float64(keys) / defaultBuckets
			most := slices.Max(slices.Collect(maps.Values(load)))
			if float64(most) > 3*mean {
				t.Errorf("a bucket holds %d of %d keys; the mean is %.1f", most, keys, mean)
			}
			if len(load) < defaultBuckets*99/100 {
				t.Errorf("%d of %d buckets used", len(load), defaultBuckets)
			}
		})
	}
}

// TestAddRejectsBucketCountsOutOfRange checks that a bucket count with no names (none,
// or more than are made) is an error, not a panic at the first object.
func TestAddRejectsBucketCountsOutOfRange(t *testing.T) {
	for _, buckets := range []int{0, -1, defaultBuckets + 1} {
		if _, err := add(t.Context(), nil, &gbv1.Camera{}, nil, "x", nil, buckets); err == nil {
			t.Errorf("%d buckets accepted", buckets)
		}
	}
}
