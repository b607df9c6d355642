package sipd

import (
	"container/heap"
	"time"
)

// Silence watches: the registrar, which sees every keepalive, tells the controllers when
// a device has gone quiet for longer than its keepalive timeout, so that they need not
// look at every registered device once per timeout to find the few that went offline.
// A watched entry sits in a min-heap on the time it must next be checked; the sweeper
// pops what is due and looks at the device's last sign of life only then: a device that
// kept alive is pushed back to its new deadline, one that did not is signalled. No
// keepalive touches the heap.

// WatchSilence asks the registrar to signal deviceID through the Notifier, as a change of
// state, once its registration made at registeredAt has shown no sign of life (keepalive
// or REGISTER) for timeout; it is first checked at the given time. One signal per watch:
// the controllers watch again when they see the device still alive. It reports false
// when the device holds no such registration. A new watch replaces the previous one.
func (s *Server) WatchSilence(deviceID string, registeredAt, at time.Time, timeout time.Duration) bool {
	return s.table.watchSilence(deviceID, registeredAt, at, timeout)
}

// watchSilence installs or moves id's silence watch.
func (t *bindingTable) watchSilence(id string, registeredAt, at time.Time, timeout time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || !e.live || !e.binding.RegisteredAt.Equal(registeredAt) || timeout <= 0 {
		return false
	}
	e.silentAt, e.silence = at, timeout
	if e.silenceIndex >= 0 {
		heap.Fix(&t.silences, e.silenceIndex)
	} else {
		heap.Push(&t.silences, e)
	}
	return true
}

// unwatchSilence ends e's watch; mu must be held.
func (t *bindingTable) unwatchSilence(e *deviceEntry) {
	if e.silenceIndex >= 0 {
		heap.Remove(&t.silences, e.silenceIndex)
	}
	e.silentAt, e.silence = time.Time{}, 0
}

// silent returns the watched devices that have shown no sign of life for their timeout
// by now, ending their watches, and moves the watches of the others to their new
// deadlines.
func (t *bindingTable) silent(now time.Time) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for t.silences.Len() > 0 && !t.silences.first().silentAt.After(now) {
		e := t.silences.first()
		if deadline := lastSignOfLife(&e.binding).Add(e.silence); deadline.After(now) {
			e.silentAt = deadline
			heap.Fix(&t.silences, 0)
			continue
		}
		t.unwatchSilence(e)
		ids = append(ids, e.id)
	}
	return ids
}

// lastSignOfLife is the latest of a binding's registration, refresh and keepalive.
func lastSignOfLife(b *Binding) time.Time {
	last := b.RegisteredAt
	if refreshed := b.ExpiresAt.Add(-b.Expires); refreshed.After(last) {
		last = refreshed
	}
	if b.LastKeepalive.After(last) {
		last = b.LastKeepalive
	}
	return last
}

// silenceCount is the number of watched devices.
func (t *bindingTable) silenceCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.silences.Len()
}
