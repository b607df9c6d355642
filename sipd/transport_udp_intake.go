package sipd

import (
	"net/netip"
	"sync"
	"time"
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
// a load generator) gets the whole capacity when nobody else waits.
//
// Within a source, datagrams are served in arrival order (work under way first among
// those of one read). What overload sheds first, answered 503 with Retry-After, is new
// work (transport_udp_opens.go): a REGISTER opening a registration, rather than one
// answering a challenge, a keepalive or an answer to a query:
//
//   - a source whose oldest opening REGISTER has waited longer than openingDelay has
//     its next ones shed on arrival: they would wait longer still, and a device
//     answered after it retransmitted (500 ms) answers the challenge twice;
//   - when the intake is full, the heaviest source of the rest pays to make room for
//     an arriving datagram of another source, bound or lighter: its newest opening
//     REGISTER, or its newest datagram when it holds none;
//   - otherwise the arriving datagram is the excess, unless it continues work and its
//     own source holds an opening REGISTER: then that source's newest opening is shed in
//     its place, so that the 401 already spent on the arriving answer turns into a
//     registration instead of being wasted too.

// openingDelay is how long, at most, a source's oldest opening REGISTER may have waited
// before its next ones are shed, given MaxQueueDelay: three quarters of it (300 ms by
// default). An opening REGISTER admitted then is served before MaxQueueDelay drops it
// unanswered and its challenge reaches the device before the device retransmits
// (500 ms), and the answer finds a queue no longer than that; a registration storm the
// registrar keeps up with, whose queue drains within MaxQueueDelay, is hardly shed.
func openingDelay(maxQueueDelay time.Duration) time.Duration { return maxQueueDelay * 3 / 4 }

// intake is the queue of UDP datagrams between the reader and the workers.
type intake struct {
	mu   sync.Mutex
	cond sync.Cond
	max  int
	// openingDelay is how long a source's oldest opening REGISTER may have waited
	// before the source's next ones are shed on arrival.
	openingDelay time.Duration
	held         int
	first        fairQueue // datagrams from bound sources
	rest         fairQueue // everything else, by source IP
	closed       bool
}

func newIntake(maxQueued int, openingDelay time.Duration) *intake {
	in := &intake{max: maxQueued, openingDelay: openingDelay, first: newFairQueue(), rest: newFairQueue()}
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
	if d.opens && q.openingWaited(key, d.received) > in.openingDelay {
		return d, true
	}
	if in.held >= in.max {
		victim := in.rest.heaviest()
		switch {
		case victim != nil && (bound || victim.len() > q.len(key)+1):
			shed = in.rest.dropNewest(victim)
		case !d.opens && q.holdsOpening(key):
			shed = q.dropNewestOpening(key)
		default:
			// Nothing heavier to displace, no new work of its own to give up: the
			// arriving datagram is the excess.
			return d, true
		}
		shedding = true
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

// sourceQueue is one source's datagrams, oldest first: the work under way it continues
// (ongoing) and the REGISTERs opening new work (opening), apart so that the newest
// opening REGISTER is found at once, served together in arrival order.
type sourceQueue struct {
	key              netip.AddrPort
	ongoing, opening []datagram
	prev, next       *sourceQueue // the ring of turns
}

func (q *sourceQueue) len() int { return len(q.ongoing) + len(q.opening) }

func newFairQueue() fairQueue {
	return fairQueue{sources: make(map[netip.AddrPort]*sourceQueue)}
}

func (f *fairQueue) len(key netip.AddrPort) int {
	if q := f.sources[key]; q != nil {
		return q.len()
	}
	return 0
}

// holdsOpening reports whether the source key holds an opening REGISTER.
func (f *fairQueue) holdsOpening(key netip.AddrPort) bool {
	q := f.sources[key]
	return q != nil && len(q.opening) > 0
}

// openingWaited is how long, at now, the oldest opening REGISTER of the source key has
// waited; 0 when it holds none.
func (f *fairQueue) openingWaited(key netip.AddrPort, now time.Time) time.Duration {
	q := f.sources[key]
	if q == nil || len(q.opening) == 0 {
		return 0
	}
	return now.Sub(q.opening[0].received)
}

func (f *fairQueue) add(key netip.AddrPort, d datagram) {
	q := f.sources[key]
	if q == nil {
		q = &sourceQueue{key: key}
		f.sources[key] = q
		f.link(q)
	}
	if d.opens {
		q.opening = append(q.opening, d)
	} else {
		q.ongoing = append(q.ongoing, d)
	}
	if f.heavy == nil || q.len() > f.heavy.len() {
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

// next takes the oldest datagram of the source whose turn it is, work under way first
// among those of one read.
func (f *fairQueue) next() (datagram, bool) {
	q := f.turn
	if q == nil {
		return datagram{}, false
	}
	var d datagram
	if len(q.ongoing) > 0 && (len(q.opening) == 0 || !q.opening[0].received.Before(q.ongoing[0].received)) {
		d, q.ongoing = popOldest(q.ongoing)
	} else {
		d, q.opening = popOldest(q.opening)
	}
	f.turn = q.next
	if q.len() == 0 {
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
		if q.len() > f.heavy.len() {
			f.heavy = q
		}
	}
	return f.heavy
}

// dropNewest takes q's newest opening REGISTER out, or its newest datagram when it
// holds none.
func (f *fairQueue) dropNewest(q *sourceQueue) datagram {
	var d datagram
	if len(q.opening) > 0 {
		d, q.opening = popNewest(q.opening)
	} else {
		d, q.ongoing = popNewest(q.ongoing)
	}
	if q.len() == 0 {
		f.unlink(q)
	}
	return d
}

// dropNewestOpening takes the newest opening REGISTER of the source key out; the
// source must hold one (holdsOpening).
func (f *fairQueue) dropNewestOpening(key netip.AddrPort) datagram {
	return f.dropNewest(f.sources[key])
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

// popOldest takes the first of items out, clearing its slot for the collector.
func popOldest(items []datagram) (datagram, []datagram) {
	d := items[0]
	items[0] = datagram{}
	return d, items[1:]
}

// popNewest takes the last of items out, clearing its slot for the collector.
func popNewest(items []datagram) (datagram, []datagram) {
	last := len(items) - 1
	d := items[last]
	items[last] = datagram{}
	return d, items[:last]
}
