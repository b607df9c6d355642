package sipd

import (
	"container/heap"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// bindingTable holds what the registrar knows per device: the live binding and the
// latest failure/unregister/expiry times. Entries exist only for devices the
// credential store knows (or that were seeded), and their number is capped. Expiry
// runs off a min-heap on ExpiresAt, so the sweeper touches only what expires.
type bindingTable struct {
	mu      sync.Mutex
	devices map[string]*deviceEntry
	// expiry orders the live entries by ExpiresAt; silences the entries whose silence
	// is watched, by when they are next due (binding_silence.go).
	expiry, silences entryHeap
	max              int
	// holdoff is how long after a keepalive was signalled the next ones of the same
	// registration are not (see Config.KeepaliveHoldoff).
	holdoff time.Duration
	// gauge mirrors len(expiry); set under mu so it never runs ahead or behind.
	gauge prometheus.Gauge
	// sources counts the live bindings at each address, so that the UDP intake can serve
	// registered devices first (transport_udp_intake.go). It has a lock of its own, the
	// intake reading it for every datagram; it is written under mu.
	sourcesMu sync.RWMutex
	sources   map[netip.AddrPort]int
}

type deviceEntry struct {
	id      string
	binding Binding
	// remote is binding.RemoteAddr parsed, where the device is registered from.
	remote    netip.AddrPort
	live      bool
	heapIndex int // position in expiry while live, else -1
	// history is nil until the device's first failed, withdrawn or expired
	// registration: a fleet that registers and stays registered does not hold it.
	history *deviceHistory
	// quietUntil: keepalives and refreshes of the live registration before this time
	// change nothing the controllers need at once, so they update the table only (see
	// Server.Quiet). Zero on every new registration.
	quietUntil time.Time
	// silentAt is when the silence watch next checks the device, silence how long it
	// may stay quiet, silenceIndex its position in silences (-1: not watched).
	silentAt     time.Time
	silence      time.Duration
	silenceIndex int
}

var errTableFull = errors.New("sipd: device table full")

func newBindingTable(maxDevices int, holdoff time.Duration, gauge prometheus.Gauge) *bindingTable {
	return &bindingTable{
		devices: make(map[string]*deviceEntry), max: maxDevices, holdoff: holdoff, gauge: gauge,
		sources: make(map[netip.AddrPort]int),
		expiry: entryHeap{
			at:    func(e *deviceEntry) time.Time { return e.binding.ExpiresAt },
			index: func(e *deviceEntry) *int { return &e.heapIndex },
		},
		silences: entryHeap{
			at:    func(e *deviceEntry) time.Time { return e.silentAt },
			index: func(e *deviceEntry) *int { return &e.silenceIndex },
		},
	}
}

// counted updates the gauge; mu must be held.
func (t *bindingTable) counted() { t.gauge.Set(float64(t.expiry.Len())) }

// entry returns id's entry, creating it within the bound; mu must be held.
func (t *bindingTable) entry(id string) (*deviceEntry, error) {
	if e := t.devices[id]; e != nil {
		return e, nil
	}
	if len(t.devices) >= t.max {
		return nil, errTableFull
	}
	// A copy: id is a slice of the request's From header, which it would keep alive.
	id = strings.Clone(id)
	e := &deviceEntry{id: id, heapIndex: -1, silenceIndex: -1}
	t.devices[id] = e
	return e, nil
}

// registerOutcome says what a REGISTER did to the table.
type registerOutcome struct {
	// refreshed: a live binding of the same registration (Call-ID) was extended.
	refreshed bool
	// samePlace: the refresh moved only the expiry; the device registers from where it
	// did, with the same credentials.
	samePlace bool
	// quiet: a same-place refresh inside the quiet period: the controllers need not hear
	// of it.
	quiet bool
}

// register installs or refreshes b.
func (t *bindingTable) register(b Binding) (registerOutcome, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, err := t.entry(b.DeviceID)
	if err != nil {
		return registerOutcome{}, err
	}
	b.DeviceID = e.id
	if e.live {
		var out registerOutcome
		old := &e.binding
		now := b.RegisteredAt // bind sets it to the time of the REGISTER
		out.refreshed = old.CallID == b.CallID
		if out.refreshed {
			b.RegisteredAt = old.RegisteredAt
			out.samePlace = b.Owner == old.Owner && b.RemoteAddr == old.RemoteAddr &&
				b.Transport == old.Transport && b.Contact == old.Contact
			out.quiet = out.samePlace && now.Before(e.quietUntil)
		} else {
			e.quietUntil = time.Time{}
		}
		// Keepalives keep counting across a re-registration: the device is the same.
		b.LastKeepalive = old.LastKeepalive
		e.binding = b
		t.setRemote(e)
		heap.Fix(&t.expiry, e.heapIndex)
		return out, nil
	}
	e.binding, e.live, e.quietUntil = b, true, time.Time{}
	t.setRemote(e)
	heap.Push(&t.expiry, e)
	t.counted()
	return registerOutcome{}, nil
}

// setRemote records e's binding address in remote and sources; mu must be held, and
// e.live must be true.
func (t *bindingTable) setRemote(e *deviceEntry) {
	remote, _ := netip.ParseAddrPort(e.binding.RemoteAddr)
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	if remote == e.remote && e.remote.IsValid() {
		return
	}
	t.sourcesMu.Lock()
	defer t.sourcesMu.Unlock()
	t.forgetSourceLocked(e.remote)
	e.remote = remote
	if remote.IsValid() {
		t.sources[remote]++
	}
}

// clearRemote forgets e's binding address; mu must be held.
func (t *bindingTable) clearRemote(e *deviceEntry) {
	if !e.remote.IsValid() {
		return
	}
	t.sourcesMu.Lock()
	t.forgetSourceLocked(e.remote)
	t.sourcesMu.Unlock()
	e.remote = netip.AddrPort{}
}

// forgetSourceLocked takes one binding off addr's count; sourcesMu must be held.
func (t *bindingTable) forgetSourceLocked(addr netip.AddrPort) {
	if !addr.IsValid() {
		return
	}
	if n := t.sources[addr]; n > 1 {
		t.sources[addr] = n - 1
	} else {
		delete(t.sources, addr)
	}
}

// boundSource reports whether some device holds a live binding at addr.
func (t *bindingTable) boundSource(addr netip.AddrPort) bool {
	t.sourcesMu.RLock()
	defer t.sourcesMu.RUnlock()
	return t.sources[addr] > 0
}

// boundAt reports whether id's live binding is at src (transport, address and port):
// src is where the device authenticated last.
func (t *bindingTable) boundAt(id string, src source) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	return e != nil && e.live && e.remote == src.addr && e.binding.Transport == src.transport
}

// quiet sets the quiet period of id's live registration made at registeredAt; false if
// the device holds no such registration (it registered anew meanwhile).
func (t *bindingTable) quiet(id string, registeredAt, until time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || !e.live || !e.binding.RegisteredAt.Equal(registeredAt) {
		return false
	}
	e.quietUntil = until
	return true
}

// unregister removes id's binding; false if it had none.
func (t *bindingTable) unregister(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || !e.live {
		return false
	}
	t.unlink(e)
	e.remember().lastUnregistered = now
	t.counted()
	return true
}

// unlink takes e's binding out of the heap; mu must be held.
func (t *bindingTable) unlink(e *deviceEntry) {
	if e.heapIndex >= 0 {
		heap.Remove(&t.expiry, e.heapIndex)
	}
	e.live = false
	e.binding = Binding{}
	e.quietUntil = time.Time{}
	t.clearRemote(e)
	t.unwatchSilence(e)
}

// lookup returns a copy of id's live binding.
func (t *bindingTable) lookup(id string) (Binding, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || !e.live {
		return Binding{}, false
	}
	return e.binding, true
}

// keepaliveResult is what a keepalive did to the table.
type keepaliveResult int

const (
	// keepaliveRecorded: from where the device is registered (or from where it
	// evidently moved, see binding_natrebind.go); recorded.
	keepaliveRecorded keepaliveResult = iota
	// keepaliveUnregistered: the device holds no live registration.
	keepaliveUnregistered
	// keepaliveElsewhere: from another address, port or transport than the
	// registration, while the device is alive there: not recorded.
	keepaliveElsewhere
)

// keepalive records a keepalive of id from src. Only the registration's own source
// counts as a sign of life: a keepalive is not authenticated, and one from elsewhere
// must neither keep a silent device looking alive nor move its binding, except for the
// NAT rebinding of a device evidently gone from its old port (binding_natrebind.go).
// notify is false for a keepalive inside the quiet period, unless it is the
// registration's first; a signalled keepalive starts a hold-off period.
func (t *bindingTable) keepalive(id string, src source, now time.Time, defaultSilence time.Duration) (result keepaliveResult, notify bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	// A registration past its expiry is over even before the sweeper removes it.
	if e == nil || !e.live || !now.Before(e.binding.ExpiresAt) {
		return keepaliveUnregistered, false
	}
	if e.remote != src.addr || e.binding.Transport != src.transport {
		if !t.rebound(e, src, now, defaultSilence) {
			return keepaliveElsewhere, false
		}
	}
	first := e.binding.LastKeepalive.IsZero()
	e.binding.LastKeepalive = now
	if !first && now.Before(e.quietUntil) {
		return keepaliveRecorded, false
	}
	// Signalled: the next keepalives wait for the controllers' answer (Quiet).
	e.quietUntil = now.Add(t.holdoff)
	return keepaliveRecorded, true
}

// authFailed records a failed REGISTER of a known device.
func (t *bindingTable) authFailed(id, reason string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, err := t.entry(id); err == nil {
		h := e.remember()
		h.lastAuthFailure, h.authFailureReason = now, reason
	}
}

// authSucceeded clears the failure record.
func (t *bindingTable) authSucceeded(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.devices[id]; e != nil && e.history != nil {
		e.history.lastAuthFailure, e.history.authFailureReason = time.Time{}, ""
	}
}

func (t *bindingTable) snapshot(id string) DeviceState {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil {
		return DeviceState{}
	}
	var st DeviceState
	if h := e.history; h != nil {
		st.LastAuthFailure, st.AuthFailureReason = h.lastAuthFailure, h.authFailureReason
		st.LastUnregistered, st.LastExpired = h.lastUnregistered, h.lastExpired
	}
	if e.live {
		b := e.binding
		st.Binding = &b
	}
	return st
}

// seed installs still-valid bindings that are newer than what the table holds.
func (t *bindingTable) seed(bs []Binding, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, b := range bs {
		if b.DeviceID == "" || !b.ExpiresAt.After(now) {
			continue
		}
		e, err := t.entry(b.DeviceID)
		if err != nil {
			continue
		}
		if e.live {
			if !b.RegisteredAt.After(e.binding.RegisteredAt) {
				continue
			}
			e.binding, e.quietUntil = b, time.Time{}
			heap.Fix(&t.expiry, e.heapIndex)
		} else {
			e.binding, e.live, e.quietUntil = b, true, time.Time{}
			heap.Push(&t.expiry, e)
		}
		t.setRemote(e)
		n++
	}
	t.counted()
	return n
}

// drop forgets id entirely, or only when its live binding's owner is owner (owner
// non-empty); true if a live binding was removed.
func (t *bindingTable) drop(id, owner string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || (owner != "" && (!e.live || e.binding.Owner != owner)) {
		return false
	}
	live := e.live
	t.unlink(e)
	delete(t.devices, id)
	t.counted()
	return live
}

// expire removes the bindings that ran out by now and returns their device IDs.
func (t *bindingTable) expire(now time.Time) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for t.expiry.Len() > 0 && !t.expiry.first().binding.ExpiresAt.After(now) {
		e := t.expiry.first()
		t.unlink(e)
		e.remember().lastExpired = now
		ids = append(ids, e.id)
	}
	if len(ids) > 0 {
		t.counted()
	}
	return ids
}
