package sipd

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Nonces are stateless: hex(issue time in ms || 32 random bits) followed by
// hex(HMAC-SHA256(key, those 12 bytes || device ID)) truncated to 128 bits. The random
// bits keep two challenges of one millisecond apart. Any replica holding the key verifies them
// without shared state; a nonce minted for one device is worthless for another.

const (
	nonceStampLen = 12 // 8 bytes of time, 4 random
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

// mint appends a fresh nonce for deviceID to dst.
func (n *nonceMinter) mint(dst []byte, deviceID string, now time.Time) []byte {
	var raw [nonceStampLen + nonceMACLen]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(now.UnixMilli()))
	binary.BigEndian.PutUint32(raw[8:12], rand.Uint32())
	var mac [nonceMACLen]byte
	copy(raw[nonceStampLen:], n.mac(mac[:0], raw[:nonceStampLen], deviceID))
	return hex.AppendEncode(dst, raw[:])
}

// check verifies nonce for deviceID and returns its issue time in ms.
func (n *nonceMinter) check(nonce, deviceID string, now time.Time) (int64, nonceStatus) {
	if len(nonce) != nonceLen {
		return 0, nonceInvalid
	}
	var raw [nonceStampLen + nonceMACLen]byte
	if _, err := hex.Decode(raw[:], []byte(nonce)); err != nil {
		return 0, nonceInvalid
	}
	var want [nonceMACLen]byte
	n.mac(want[:0], raw[:nonceStampLen], deviceID)
	if subtle.ConstantTimeCompare(want[:], raw[nonceStampLen:]) != 1 {
		return 0, nonceInvalid
	}
	issued := int64(binary.BigEndian.Uint64(raw[:8]))
	nowMs := now.UnixMilli()
	if issued > nowMs+nonceSkew.Milliseconds() {
		return 0, nonceInvalid
	}
	if nowMs-issued > n.lifetime.Milliseconds() {
		return issued, nonceStale
	}
	return issued, nonceValid
}

// opaque is a constant per realm and key, echoed by devices and otherwise unused.
func (n *nonceMinter) opaque(realm string) string {
	var out []byte
	out = n.mac(out, []byte("opaque"), realm)
	return hex.EncodeToString(out)
}

// replayTracker remembers, for nonces that authenticated a REGISTER, the highest nc
// seen (qop=auth), the first use, and the origin of the request that used it. A nonce
// authenticates again only a fresh request (a higher nc under qop) or, within the reuse
// window, a retransmission: the same transaction from the same source. So a captured
// REGISTER replayed from elsewhere cannot move the device's binding. Entries live in a ring of buckets by
// nonce issue time: a bucket is reused, dropping its entries, once its nonces are past
// their lifetime, so the state needs no sweeper. When the entry bound is hit the
// oldest bucket is dropped early and its time span marked: a nonce from that span
// without an entry is then treated as stale, never as unseen.
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
}

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
	replayOK     replayVerdict = iota
	replayReused               // repeated nc, another origin, or past the reuse window
	replayLost                 // no state for this nonce: treat as stale
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

// check records one authenticated use of nonce (issued at issuedMs). With qop, a higher
// nc is a fresh request from wherever it comes: only the password holder can compute
// it. Otherwise the nonce is accepted again only from origin, the transaction and
// source of its accepted use, within window of the first use: a retransmission.
func (t *replayTracker) check(nonce string, issuedMs int64, qop bool, nc uint32, origin replayOrigin, nowMs int64, windowMs int64) replayVerdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	slot := issuedMs / t.widthMs
	b := &t.buckets[slot%int64(len(t.buckets))]
	if b.slot != slot {
		if b.slot > slot {
			// The bucket holds newer nonces: this one is older than the ring spans.
			return replayLost
		}
		t.n -= len(b.m)
		b.slot = slot
		b.m = nil
	}
	e, ok := b.m[nonce]
	if !ok {
		if issuedMs < t.floorMs {
			return replayLost
		}
		if t.n >= t.maxEntries && !t.evictOldest(slot) {
			return replayLost
		}
		if b.m == nil {
			b.m = make(map[string]replayEntry)
		}
		// A copy: nonce is a slice of the request's Authorization header, and as a map
		// key it would keep the whole header alive for the nonce's lifetime (0.7 KB a
		// device).
		b.m[strings.Clone(nonce)] = replayEntry{nc: nc, firstMs: nowMs, origin: origin}
		t.n++
		return replayOK
	}
	switch {
	case qop && nc > e.nc:
		e.nc, e.origin = nc, origin
		b.m[nonce] = e
		return replayOK
	case origin == e.origin && (!qop || nc == e.nc) && nowMs-e.firstMs <= windowMs:
		return replayOK // retransmission of the accepted request
	}
	return replayReused
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
