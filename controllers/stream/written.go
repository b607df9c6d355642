package stream

import (
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// staleVersions remembers, per Stream, the resourceVersions this replica's writes have
// superseded, until the cache shows another one. A reconcile that reads one of them
// from the cache would decide from a status that lacks the dialog just made, and invite
// again; it reads the Stream from the API server instead. Every other reconcile reads
// the cache, so a device's notifications, or a Camera's changes, cost no API read.
// resourceVersions are opaque: only equality is used.
type staleVersions struct {
	mu sync.Mutex
	m  map[types.UID][]string
}

// maxStaleVersions bounds the versions remembered per Stream: a reconcile writes twice
// at most (Inviting, then the outcome), and the cache catches up within moments.
const maxStaleVersions = 8

func newStaleVersions() *staleVersions { return &staleVersions{m: map[types.UID][]string{}} }

// superseded records that this replica wrote uid over version.
func (v *staleVersions) superseded(uid types.UID, version string) {
	if uid == "" || version == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.m[uid]
	if len(old) >= maxStaleVersions {
		old = old[1:]
	}
	v.m[uid] = append(old, version)
}

// stale reports whether a cached copy of uid at version predates this replica's last
// write; any other version retires the record.
func (v *staleVersions) stale(uid types.UID, version string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	old, ok := v.m[uid]
	if !ok {
		return false
	}
	if slices.Contains(old, version) {
		return true
	}
	delete(v.m, uid)
	return false
}

// forget drops uid's record (the Stream is gone).
func (v *staleVersions) forget(uid types.UID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.m, uid)
}
