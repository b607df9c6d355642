package fleet

import (
	"maps"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A tally counts the objects of one kind in an informer's cache by namespace and state,
// kept as the informer reports each add, update and delete. A scrape then reads a few
// counts instead of walking the cache: at 50,000 Cameras a walk copied 30 MB of objects
// into a list on every scrape, garbage the collector had to chase while the operator
// was writing a storm's statuses.
type tally[S ~string] struct {
	// stateOf is an object's state, Pending's value for an object with none yet.
	stateOf func(client.Object) S

	mu sync.Mutex
	// counts holds, by namespace, the objects in each state; a namespace or state with
	// no object left is removed, so only namespaces with objects are exported.
	counts map[string]map[S]int
	// synced reports whether the informer has delivered its first list to the tally:
	// until then the counts are partial.
	synced func() bool
}

func newTally[S ~string](stateOf func(client.Object) S) *tally[S] {
	return &tally[S]{stateOf: stateOf, counts: map[string]map[S]int{}}
}

// OnAdd implements toolscache.ResourceEventHandler.
func (t *tally[S]) OnAdd(obj any, _ bool) {
	if o, ok := obj.(client.Object); ok {
		t.add(o.GetNamespace(), t.stateOf(o), 1)
	}
}

// OnUpdate implements toolscache.ResourceEventHandler: the object moves from its old
// state to its new one (a resync reports the same object twice, which moves nothing).
func (t *tally[S]) OnUpdate(oldObj, newObj any) {
	o, okOld := oldObj.(client.Object)
	n, okNew := newObj.(client.Object)
	if !okOld || !okNew {
		return
	}
	from, to := t.stateOf(o), t.stateOf(n)
	if from == to && o.GetNamespace() == n.GetNamespace() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addLocked(o.GetNamespace(), from, -1)
	t.addLocked(n.GetNamespace(), to, 1)
}

// OnDelete implements toolscache.ResourceEventHandler. An object whose deletion the
// informer missed (a relist no longer had it) comes as a tombstone holding the object
// as the informer last knew it, which is the state it was counted in.
func (t *tally[S]) OnDelete(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if o, ok := obj.(client.Object); ok {
		t.add(o.GetNamespace(), t.stateOf(o), -1)
	}
}

func (t *tally[S]) add(ns string, state S, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addLocked(ns, state, n)
}

func (t *tally[S]) addLocked(ns string, state S, n int) {
	byState := t.counts[ns]
	if byState == nil {
		byState = map[S]int{}
		t.counts[ns] = byState
	}
	byState[state] += n
	if byState[state] <= 0 {
		delete(byState, state)
		if len(byState) == 0 {
			delete(t.counts, ns)
		}
	}
}

// snapshot copies the counts, or reports false while the informer's first list is
// still being delivered.
func (t *tally[S]) snapshot() (map[string]map[S]int, bool) {
	if t.synced != nil && !t.synced() {
		return nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]map[S]int, len(t.counts))
	for ns, byState := range t.counts {
		out[ns] = maps.Clone(byState)
	}
	return out, true
}
