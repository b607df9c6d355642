package sipd

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// replayTracker remembers, for nonces that authenticated a REGISTER, the highest nc
// seen (qop=auth), the first use, the origin and a hash of the request that used it,
// and what that request was answered. A nonce authenticates again only a fresh request
// (a higher nc under qop) or, within the reuse window, a retransmission: the same
// request, byte for byte, of the same transaction from the same source. A
// retransmission is answered as the original was, from the recorded answer, and changes
// nothing: a captured REGISTER altered (Expires: 0) and sent again from the device's
// address is not a retransmission, and gets a stale 401. So a captured REGISTER
// replayed from elsewhere cannot move the device's binding, nor end it. Entries live in
// a ring of buckets by nonce issue time: a bucket is reused, dropping its entries, once
// its nonces are past their lifetime, so the state needs no sweeper. When the entry
// bound is hit the oldest bucket is dropped early and its time span marked: a nonce from
// that span without an entry is then treated as stale, never as unseen.
type replayTracker struct {
	mu         sync.Mutex
	widthMs    int64
	buckets    []replayBucket
	maxEntries int
	n          int
	floorMs    int64 // nonces issued before this have lost their entries
}

type replayBucket struct {
	slot int64
	m    map[string]replayEntry
}

type replayEntry struct {
	nc      uint32
	firstMs int64
	origin  replayOrigin
	// request hashes the accepted request's bytes.
	request uint64
	answer  registerAnswer
}

// registerAnswer is what an authenticated REGISTER did and was answered: enough to
// answer a retransmission of it the same way without applying anything again.
type registerAnswer struct {
	kind answerKind
	// granted is the lifetime granted, in seconds (answerRegistered).
	granted int32
	// dateMs is the Date the answer carried.
	dateMs int64
}

type answerKind uint8

const (
	// answerPending: accepted and still being handled; a retransmission is dropped,
	// the original's answer being on its way.
	answerPending answerKind = iota
	// answerRegistered: 200 with the binding for granted seconds.
	answerRegistered
	// answerUnregistered: 200 with Expires: 0, the binding removed.
	answerUnregistered
	// answerUnchanged: an answer that changed no binding (a query of the bindings, 400,
	// 423, 503); a retransmission is handled again, with the same effect: none.
	answerUnchanged
)

// replayOrigin identifies one transmission of a request: its transaction (Via branch
// and CSeq) and where it came from (transport, address and port). A retransmission has
// the origin of the original; a replay from another host, or a new request, does not.
type replayOrigin struct {
	tx, source uint64
}

// originOf hashes req's transaction and src without allocating.
func originOf(req *sip.Request, src source) replayOrigin {
	branch, _ := paramValue(req.Via().Params, "branch")
	tx := fnvString(fnvOffset, branch)
	if c := req.CSeq(); c != nil {
		tx = fnvUint(tx, uint64(c.SeqNo))
	}
	ip := src.addr.Addr().As16()
	from := fnvString(fnvOffset, src.transport)
	for _, b := range ip {
		from = fnvUint(from, uint64(b))
	}
	return replayOrigin{tx: tx, source: fnvUint(from, uint64(src.addr.Port()))}
}

type replayVerdict int

const (
	replayOK             replayVerdict = iota
	replayReused                       // repeated nc, another origin or request, or past the reuse window
	replayLost                         // no state for this nonce: treat as stale
	replayRetransmission               // the accepted request again: answer as recorded
)

const replayBuckets = 16

func newReplayTracker(lifetime time.Duration, maxEntries int) *replayTracker {
	width := lifetime.Milliseconds()/(replayBuckets-2) + 1
	b := make([]replayBucket, replayBuckets)
	for i := range b {
		b[i].slot = -1
	}
	return &replayTracker{widthMs: width, buckets: b, maxEntries: maxEntries}
}

// nonceUse is one authenticated use of a nonce, as check sees it.
type nonceUse struct {
	nonce    string
	issuedMs int64
	qop      bool
	nc       uint32
	origin   replayOrigin
	request  uint64
}

// check records one authenticated use of a nonce. With qop, a higher nc is a fresh
// request from wherever it comes: only the password holder can compute it. Otherwise
// the nonce is accepted again only for a retransmission: the same request from the same
// origin, within window of the first use, whose recorded answer is returned.
func (t *replayTracker) check(u nonceUse, nowMs, windowMs int64) (replayVerdict, registerAnswer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.bucket(u.issuedMs)
	if !ok {
		return replayLost, registerAnswer{}
	}
	e, ok := b.m[u.nonce]
	if !ok {
		if u.issuedMs < t.floorMs {
			return replayLost, registerAnswer{}
		}
		if t.n >= t.maxEntries && !t.evictOldest(b.slot) {
			return replayLost, registerAnswer{}
		}
		if b.m == nil {
			b.m = make(map[string]replayEntry)
		}
		// u.nonce must not be a slice of the request (see authenticate).
		b.m[u.nonce] = replayEntry{nc: u.nc, firstMs: nowMs, origin: u.origin, request: u.request}
		t.n++
		return replayOK, registerAnswer{}
	}
	switch {
	case u.qop && u.nc > e.nc:
		b.m[u.nonce] = replayEntry{nc: u.nc, firstMs: nowMs, origin: u.origin, request: u.request}
		return replayOK, registerAnswer{}
	case u.origin == e.origin && u.request == e.request && (!u.qop || u.nc == e.nc) && nowMs-e.firstMs <= windowMs:
		return replayRetransmission, e.answer
	}
	return replayReused, registerAnswer{}
}

// record keeps what the accepted use u was answered, for its retransmissions.
func (t *replayTracker) record(u nonceUse, a registerAnswer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.bucket(u.issuedMs)
	if !ok {
		return
	}
	if e, ok := b.m[u.nonce]; ok && e.request == u.request && e.nc == u.nc {
		e.answer = a
		b.m[u.nonce] = e
	}
}

// bucket returns the bucket of nonces issued at issuedMs, emptying a bucket of an older
// slot for it; false when the ring holds newer nonces in its place. mu must be held.
func (t *replayTracker) bucket(issuedMs int64) (*replayBucket, bool) {
	slot := issuedMs / t.widthMs
	b := &t.buckets[slot%int64(len(t.buckets))]
	if b.slot != slot {
		if b.slot > slot {
			// The bucket holds newer nonces: this one is older than the ring spans.
			return nil, false
		}
		t.n -= len(b.m)
		b.slot = slot
		b.m = nil
	}
	return b, true
}

// evictOldest drops the oldest bucket other than keep; false if there is none.
func (t *replayTracker) evictOldest(keep int64) bool {
	oldest := -1
	for i := range t.buckets {
		b := &t.buckets[i]
		if b.slot < 0 || b.slot == keep || len(b.m) == 0 {
			continue
		}
		if oldest < 0 || b.slot < t.buckets[oldest].slot {
			oldest = i
		}
	}
	if oldest < 0 {
		return false
	}
	b := &t.buckets[oldest]
	t.n -= len(b.m)
	t.floorMs = max(t.floorMs, (b.slot+1)*t.widthMs)
	b.m = nil
	return true
}

// size is the number of tracked nonces.
func (t *replayTracker) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
