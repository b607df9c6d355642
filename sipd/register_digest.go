package sipd

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/gb28181/camera-operator/sipd/digestparam"
)

// HTTP digest authentication as devices speak it (RFC 2617, RFC 7616/8760 for
// SHA-256): answers with qop=auth or without qop even when qop was offered, algorithm
// in any case, username and uri as the device chose them.

// digestAlg identifies the hash of a digest.
type digestAlg int

const (
	algMD5 digestAlg = iota
	algSHA256
	algUnknown
)

func parseAlg(s string) digestAlg {
	switch {
	case s == "" || strings.EqualFold(s, "MD5"):
		return algMD5
	case strings.EqualFold(s, "SHA-256"):
		return algSHA256
	}
	return algUnknown
}

// authParams is a parsed Authorization header; the strings point into the header.
type authParams struct {
	username, realm, nonce, uri, response, algorithm, cnonce, qop, nc, opaque string
}

var errAuthIncomplet = errors.New("the Authorization lacks username, realm, nonce, uri or response")

// parseAuthorization parses an Authorization header into the fields the registrar
// checks, by digestparam's rules, without building a map.
func parseAuthorization(v string) (authParams, error) {
	var a authParams
	s, err := digestparam.List(v)
	if err != nil {
		return a, err
	}
	for {
		var key, val string
		key, val, s, err = digestparam.Next(s)
		if err != nil {
			return a, err
		}
		if key == "" {
			break
		}
		switch strings.ToLower(key) {
		case "username":
			a.username = val
		case "realm":
			a.realm = val
		case "nonce":
			a.nonce = val
		case "uri":
			a.uri = val
		case "response":
			a.response = val
		case "algorithm":
			a.algorithm = val
		case "cnonce":
			a.cnonce = val
		case "qop":
			a.qop = val
		case "nc":
			a.nc = val
		case "opaque":
			a.opaque = val
		}
	}
	if a.username == "" || a.nonce == "" || a.uri == "" || a.response == "" {
		return a, errAuthIncomplet
	}
	return a, nil
}

// parseNC parses the 8 hex digit nonce count.
func parseNC(s string) (uint32, bool) {
	if s == "" || len(s) > 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 16, 32)
	return uint32(n), err == nil && n > 0
}

// digestHex computes the expected response into dst (hex, lower case).
//
//	HA1 = H(username:realm:password), HA2 = H(method:uri)
//	response = H(HA1:nonce:HA2), or H(HA1:nonce:nc:cnonce:qop:HA2) with qop.
func digestHex(dst []byte, alg digestAlg, a *authParams, password, method string) []byte {
	var scratch [512]byte
	in := scratch[:0]
	var ha1, ha2 [2 * sha256.Size]byte
	in = append(in, a.username...)
	in = append(in, ':')
	in = append(in, a.realm...)
	in = append(in, ':')
	in = append(in, password...)
	h1 := hashHex(ha1[:0], alg, in)

	in = append(scratch[:0], method...)
	in = append(in, ':')
	in = append(in, a.uri...)
	h2 := hashHex(ha2[:0], alg, in)

	in = append(scratch[:0], h1...)
	in = append(in, ':')
	in = append(in, a.nonce...)
	in = append(in, ':')
	if a.qop != "" {
		in = append(in, a.nc...)
		in = append(in, ':')
		in = append(in, a.cnonce...)
		in = append(in, ':')
		in = append(in, a.qop...)
		in = append(in, ':')
	}
	in = append(in, h2...)
	return hashHex(dst, alg, in)
}

func hashHex(dst []byte, alg digestAlg, in []byte) []byte {
	if alg == algSHA256 {
		sum := sha256.Sum256(in)
		return hex.AppendEncode(dst, sum[:])
	}
	sum := md5.Sum(in)
	return hex.AppendEncode(dst, sum[:])
}

// digestMatches compares the device's response with the expected one in constant time,
// ignoring the case of its hex digits.
func digestMatches(alg digestAlg, a *authParams, password, method string) bool {
	var want, got [2 * sha256.Size]byte
	w := digestHex(want[:0], alg, a, password, method)
	if len(a.response) != len(w) {
		return false
	}
	g := got[:len(w)]
	for i := 0; i < len(w); i++ {
		c := a.response[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		g[i] = c
	}
	return subtle.ConstantTimeCompare(w, g) == 1
}

// appendChallenge appends the value of one WWW-Authenticate header in the single,
// space-free form strict firmware parses:
// Digest realm="…",nonce="…",algorithm=MD5[,qop="auth"],opaque="…"[,stale=true]
func appendChallenge(dst []byte, realm string, nonce []byte, algorithm string, qop bool, opaque string, stale bool) []byte {
	dst = append(dst, `Digest realm="`...)
	dst = append(dst, realm...)
	dst = append(dst, `",nonce="`...)
	dst = append(dst, nonce...)
	dst = append(dst, `",algorithm=`...)
	dst = append(dst, algorithm...)
	if qop {
		dst = append(dst, `,qop="auth"`...)
	}
	dst = append(dst, `,opaque="`...)
	dst = append(dst, opaque...)
	dst = append(dst, '"')
	if stale {
		dst = append(dst, `,stale=true`...)
	}
	return dst
}
