package sipd

import "time"

// entryHeap is a container/heap of device entries ordered by a time of theirs, each
// entry knowing its own position so that it can be fixed or removed in O(log n). The
// binding table keeps two: registrations by expiry, and silence watches by when they
// are next due.
type entryHeap struct {
	items []*deviceEntry
	// at is the time an entry is ordered by; index points at the entry's position field
	// (-1 while it is not in this heap).
	at    func(*deviceEntry) time.Time
	index func(*deviceEntry) *int
}

func (h *entryHeap) Len() int           { return len(h.items) }
func (h *entryHeap) Less(i, j int) bool { return h.at(h.items[i]).Before(h.at(h.items[j])) }
func (h *entryHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.index(h.items[i]), *h.index(h.items[j]) = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*deviceEntry)
	*h.index(e) = len(h.items)
	h.items = append(h.items, e)
}
func (h *entryHeap) Pop() any {
	old := h.items
	e := old[len(old)-1]
	old[len(old)-1] = nil
	h.items = old[:len(old)-1]
	*h.index(e) = -1
	return e
}

// first is the entry with the earliest time; the heap must not be empty.
func (h *entryHeap) first() *deviceEntry { return h.items[0] }
