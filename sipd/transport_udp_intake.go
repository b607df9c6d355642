package sipd

import (
	"net/netip"
	"sync"
)

// The UDP intake is where overload shows, so it decides who waits. It holds at most
// MaxQueuedDatagrams datagrams between the reader and the workers, in two classes:
//
//   - first: datagrams from an address and port where a device holds a live binding
//     (its keepalives, its answers to queries and INVITEs, its refreshes);
//   - the rest: everyone else, registrations of new devices among them.
//
// Workers serve the first class before the rest. Within each class every source gets
// its turn (round robin: a bound device by its address and port, any other sender by its
// IP address, ports being free to forge), so one source flooding cheap REGISTERs waits
// behind its own datagrams only. It is work-conserving: a source alone (an NVR, a NAT,
// a load generator) gets the whole capacity when nobody else waits. When the intake is
// full, the heaviest source of the rest pays: its newest datagram is shed (answered 503
// with Retry-After) to make room, or the arriving one when it is the heaviest itself.

// intake is the queue of UDP datagrams between the reader and the workers.
type intake struct {
	mu     sync.Mutex
	cond   sync.Cond
	max    int
	held   int
	first  fairQueue // datagrams from bound sources
	rest   fairQueue // everything else, by source IP
	closed bool
}

func newIntake(maxQueued int) *intake {
	in := &intake{max: maxQueued, first: newFairQueue(), rest: newFairQueue()}
	in.cond.L = &in.mu
	return in
}

// push queues d, of the first class when bound. It returns a datagram to shed, d itself
// or one it displaced, and whether there is one.
func (in *intake) push(d datagram, bound bool) (shed datagram, shedding bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return d, true
	}
	q, key := &in.rest, netip.AddrPortFrom(d.src.Addr(), 0)
	if bound {
		q, key = &in.first, d.src
	}
	if in.held >= in.max {
		victim := in.rest.heaviest()
		if victim == nil || (!bound && len(victim.items) <= q.len(key)+1) {
			// Nothing heavier to displace: the arriving datagram is the excess.
			return d, true
		}
		shed, shedding = in.rest.dropNewest(victim), true
		in.held--
	}
	q.add(key, d)
	in.held++
	in.cond.Signal()
	return shed, shedding
}

// pop waits for a datagram; false once the intake is closed and empty.
func (in *intake) pop() (datagram, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for in.held == 0 && !in.closed {
		in.cond.Wait()
	}
	if in.held == 0 {
		return datagram{}, false
	}
	in.held--
	if d, ok := in.first.next(); ok {
		return d, true
	}
	d, _ := in.rest.next()
	return d, true
}

// close wakes the workers; what is queued is still handed out.
func (in *intake) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.cond.Broadcast()
}

// fairQueue holds datagrams per source and hands them out one source at a time.
type fairQueue struct {
	sources map[netip.AddrPort]*sourceQueue
	// turn is the source served next, in a ring of the sources holding datagrams.
	turn *sourceQueue
	// heavy is the source holding the most datagrams, as far as add has seen; nil when
	// unknown (heaviest looks then).
	heavy *sourceQueue
}

type sourceQueue struct {
	key        netip.AddrPort
	items      []datagram
	prev, next *sourceQueue // the ring of turns
}

func newFairQueue() fairQueue {
	return fairQueue{sources: make(map[netip.AddrPort]*sourceQueue)}
}

func (f *fairQueue) len(key netip.AddrPort) int {
	if q := f.sources[key]; q != nil {
		return len(q.items)
	}
	return 0
}

func (f *fairQueue) add(key netip.AddrPort, d datagram) {
	q := f.sources[key]
	if q == nil {
		q = &sourceQueue{key: key}
		f.sources[key] = q
		f.link(q)
	}
	q.items = append(q.items, d)
	if f.heavy == nil || len(q.items) > len(f.heavy.items) {
		f.heavy = q
	}
}

// link puts q last in the ring, just before the source whose turn it is.
func (f *fairQueue) link(q *sourceQueue) {
	if f.turn == nil {
		q.prev, q.next, f.turn = q, q, q
		return
	}
	q.prev, q.next = f.turn.prev, f.turn
	f.turn.prev.next = q
	f.turn.prev = q
}

// next takes the oldest datagram of the source whose turn it is.
func (f *fairQueue) next() (datagram, bool) {
	q := f.turn
	if q == nil {
		return datagram{}, false
	}
	d := q.items[0]
	q.items[0] = datagram{}
	q.items = q.items[1:]
	f.turn = q.next
	if len(q.items) == 0 {
		f.unlink(q)
	}
	return d, true
}

// heaviest is the source holding the most datagrams, nil when there is none.
func (f *fairQueue) heaviest() *sourceQueue {
	if f.heavy != nil {
		return f.heavy
	}
	if f.turn == nil {
		return nil
	}
	f.heavy = f.turn
	for q := f.turn.next; q != f.turn; q = q.next {
		if len(q.items) > len(f.heavy.items) {
			f.heavy = q
		}
	}
	return f.heavy
}

// dropNewest takes q's newest datagram out.
func (f *fairQueue) dropNewest(q *sourceQueue) datagram {
	last := len(q.items) - 1
	d := q.items[last]
	q.items[last] = datagram{}
	q.items = q.items[:last]
	if len(q.items) == 0 {
		f.unlink(q)
	}
	return d
}

// unlink forgets the emptied source q.
func (f *fairQueue) unlink(q *sourceQueue) {
	delete(f.sources, q.key)
	if q.next == q {
		f.turn = nil
	} else {
		q.prev.next, q.next.prev = q.next, q.prev
		if f.turn == q {
			f.turn = q.next
		}
	}
	q.prev, q.next = nil, nil
	if f.heavy == q {
		f.heavy = nil
	}
}
