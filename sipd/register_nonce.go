package sipd

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Nonces are stateless, 28 bytes written as 56 hex digits:
//
//	issue time in ms (6 bytes) || 16 random bits || source tag (4 bytes) || MAC (16 bytes)
//
// The MAC is HMAC-SHA256(key, the first 12 bytes || device ID), truncated: any replica
// holding the key verifies a nonce without shared state, and a nonce minted for one
// device is worthless for another. The source tag is HMAC-SHA256(key, "source" || the
// first 8 bytes || transport, address and port the challenge went to), truncated: it
// says where the nonce was sent, so that only a party that received the challenge can
// answer it, and only failures against such a nonce count toward a lock-out
// (register_limiter.go). A blind spoofer never sees a nonce, and a neighbour behind the
// same NAT sees only the nonces sent to its own port. The random bits keep two
// challenges of one millisecond apart.

const (
	nonceStampLen = 12 // 6 bytes of time, 2 random, 4 of source tag
	nonceMACLen   = 16
	nonceLen      = 2 * (nonceStampLen + nonceMACLen)
	// nonceSkew tolerates replicas whose clocks run slightly ahead.
	nonceSkew = 5 * time.Second
)

type nonceStatus int

const (
	nonceValid   nonceStatus = iota
	nonceStale               // genuine but past its lifetime
	nonceInvalid             // not ours, tampered, or for another device
)

type nonceMinter struct {
	lifetime time.Duration
	// macs pools keyed HMAC states: hmac.New derives the padded keys once per state,
	// and Reset restores the keyed state cheaply.
	macs sync.Pool
}

func newNonceMinter(key []byte, lifetime time.Duration) *nonceMinter {
	k := append([]byte(nil), key...)
	n := &nonceMinter{lifetime: lifetime}
	n.macs.New = func() any {
		return &macState{h: hmac.New(sha256.New, k), in: make([]byte, 0, 64), sum: make([]byte, 0, sha256.Size)}
	}
	return n
}

// macState is a keyed HMAC with scratch buffers, so that computing a MAC allocates
// nothing.
type macState struct {
	h   hash.Hash
	in  []byte
	sum []byte
}

func (n *nonceMinter) mac(dst []byte, ts []byte, deviceID string) []byte {
	m := n.macs.Get().(*macState)
	m.h.Reset()
	m.in = append(append(m.in[:0], ts...), deviceID...)
	m.h.Write(m.in)
	m.sum = m.h.Sum(m.sum[:0])
	dst = append(dst, m.sum[:nonceMACLen]...)
	if cap(m.in) <= 1024 {
		n.macs.Put(m)
	}
	return dst
}

// mint appends a fresh nonce for deviceID, challenged at to, to dst.
func (n *nonceMinter) mint(dst []byte, deviceID string, to source, now time.Time) []byte {
	var raw [nonceStampLen + nonceMACLen]byte
	putMillis(raw[:6], now.UnixMilli())
	binary.BigEndian.PutUint16(raw[6:8], uint16(rand.Uint32()))
	n.sourceTag(raw[8:8], raw[:8], to)
	var mac [nonceMACLen]byte
	copy(raw[nonceStampLen:], n.mac(mac[:0], raw[:nonceStampLen], deviceID))
	return hex.AppendEncode(dst, raw[:])
}

// checkedNonce is a nonce that check found genuine.
type checkedNonce struct {
	raw      [nonceStampLen + nonceMACLen]byte
	issuedMs int64
}

// check verifies nonce for deviceID and returns its issue time in ms.
func (n *nonceMinter) check(nonce, deviceID string, now time.Time) (checkedNonce, nonceStatus) {
	var c checkedNonce
	if len(nonce) != nonceLen {
		return c, nonceInvalid
	}
	if _, err := hex.Decode(c.raw[:], []byte(nonce)); err != nil {
		return c, nonceInvalid
	}
	var want [nonceMACLen]byte
	n.mac(want[:0], c.raw[:nonceStampLen], deviceID)
	if subtle.ConstantTimeCompare(want[:], c.raw[nonceStampLen:]) != 1 {
		return c, nonceInvalid
	}
	c.issuedMs = millis(c.raw[:6])
	nowMs := now.UnixMilli()
	if c.issuedMs > nowMs+nonceSkew.Milliseconds() {
		return c, nonceInvalid
	}
	if nowMs-c.issuedMs > n.lifetime.Milliseconds() {
		return c, nonceStale
	}
	return c, nonceValid
}

// sentTo reports whether the checked nonce c was minted for a challenge sent to src.
func (n *nonceMinter) sentTo(c checkedNonce, src source) bool {
	var want [4]byte
	n.sourceTag(want[:0], c.raw[:8], src)
	return subtle.ConstantTimeCompare(want[:], c.raw[8:12]) == 1
}

// sourceTag appends the 4-byte tag of a nonce whose first 8 bytes are stamp, sent to
// src: its transport, address and port.
func (n *nonceMinter) sourceTag(dst, stamp []byte, src source) []byte {
	var in [6 + 8 + 1 + 16 + 2]byte
	copy(in[:], "source")
	copy(in[6:], stamp)
	if src.transport == "TCP" {
		in[14] = 1
	}
	addr := src.addr.Addr().Unmap().As16()
	copy(in[15:], addr[:])
	binary.BigEndian.PutUint16(in[31:], src.addr.Port())
	var sum [nonceMACLen]byte
	return append(dst, n.mac(sum[:0], in[:], "")[:4]...)
}

// putMillis writes ms as 6 big-endian bytes: enough until the year 10889.
func putMillis(b []byte, ms int64) {
	var full [8]byte
	binary.BigEndian.PutUint64(full[:], uint64(ms))
	copy(b, full[2:])
}

// millis reads what putMillis wrote.
func millis(b []byte) int64 {
	var full [8]byte
	copy(full[2:], b)
	return int64(binary.BigEndian.Uint64(full[:]))
}

// opaque is a constant per realm and key, echoed by devices and otherwise unused.
func (n *nonceMinter) opaque(realm string) string {
	var out []byte
	out = n.mac(out, []byte("opaque"), realm)
	return hex.EncodeToString(out)
}

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

// fnvUint folds v into an FNV-1a hash, byte by byte.
func fnvUint(h, v uint64) uint64 {
	for ; v > 0; v >>= 8 {
		h ^= v & 0xff
		h *= fnvPrime
	}
	h ^= 0xff // terminator, so that 0x01 then 0x0100 differ from 0x0101
	return h * fnvPrime
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
