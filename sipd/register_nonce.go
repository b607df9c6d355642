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
