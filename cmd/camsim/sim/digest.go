package sim

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/gb28181/camera-operator/sipd/digestparam"
)

// challenge is a parsed WWW-Authenticate (or Proxy-Authenticate) Digest challenge.
type challenge struct {
	realm, nonce, opaque, algorithm string
	qop                             []string // the qop options offered, lower case
	stale                           bool
}

// parseChallenge parses a Digest challenge leniently, as a device firmware would: any
// spacing around commas and '=', quoted or bare values, parameters in any case.
func parseChallenge(h string) (challenge, error) {
	params, err := digestparam.Parse(h)
	if err != nil {
		return challenge{}, fmt.Errorf("digest challenge %q: %w", h, err)
	}
	var c challenge
	for k, v := range params {
		switch k {
		case "realm":
			c.realm = v
		case "nonce":
			c.nonce = v
		case "opaque":
			c.opaque = v
		case "algorithm":
			c.algorithm = v
		case "stale":
			c.stale = strings.EqualFold(v, "true")
		case "qop":
			for _, q := range strings.Split(v, ",") {
				if q = strings.ToLower(strings.TrimSpace(q)); q != "" {
					c.qop = append(c.qop, q)
				}
			}
		}
	}
	if c.nonce == "" {
		return challenge{}, fmt.Errorf("digest challenge without nonce: %q", h)
	}
	if c.algorithm == "" {
		c.algorithm = "MD5" // RFC 2617: absent means MD5
	}
	return c, nil
}

func (c challenge) offersQopAuth() bool {
	for _, q := range c.qop {
		if q == "auth" {
			return true
		}
	}
	return false
}

// hasher returns the hash of a digest algorithm name (any case), and whether it is a
// -sess variant.
func hasher(algorithm string) (func() hash.Hash, bool, error) {
	a := strings.ToUpper(strings.TrimSpace(algorithm))
	sess := strings.HasSuffix(a, "-SESS")
	a = strings.TrimSuffix(a, "-SESS")
	switch a {
	case "MD5":
		return md5.New, sess, nil
	case "SHA-256":
		return sha256.New, sess, nil
	}
	return nil, false, fmt.Errorf("unsupported digest algorithm %q", algorithm)
}

func hexHash(h func() hash.Hash, parts ...string) string {
	d := h()
	for i, p := range parts {
		if i > 0 {
			d.Write([]byte{':'})
		}
		d.Write([]byte(p))
	}
	return hex.EncodeToString(d.Sum(nil))
}

// credentials are what a device answers a challenge with.
type credentials struct {
	username, password string
	method, uri        string
	// useQop answers with qop=auth when the challenge offers it; false answers as the
	// RFC 2069 devices do, without qop, even when it was offered.
	useQop bool
	// nc is the nonce count to send with qop (1 for a fresh nonce).
	nc uint32
	// cnonce is fixed for tests; empty makes a random one.
	cnonce string
}

// authorization computes the Authorization header value for c. The algorithm is written
// back exactly as the challenge spelled it, as devices do.
func authorization(ch challenge, cr credentials) (string, error) {
	h, sess, err := hasher(ch.algorithm)
	if err != nil {
		return "", err
	}
	qop := cr.useQop && ch.offersQopAuth()
	cnonce := cr.cnonce
	if (qop || sess) && cnonce == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		cnonce = hex.EncodeToString(b[:])
	}
	ha1 := hexHash(h, cr.username, ch.realm, cr.password)
	if sess {
		ha1 = hexHash(h, ha1, ch.nonce, cnonce)
	}
	ha2 := hexHash(h, cr.method, cr.uri)
	nc := fmt.Sprintf("%08x", max(cr.nc, 1))
	var resp string
	if qop {
		resp = hexHash(h, ha1, ch.nonce, nc, cnonce, "auth", ha2)
	} else {
		resp = hexHash(h, ha1, ch.nonce, ha2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username="%s",realm="%s",nonce="%s",uri="%s",response="%s",algorithm=%s`,
		cr.username, ch.realm, ch.nonce, cr.uri, resp, ch.algorithm)
	if ch.opaque != "" {
		fmt.Fprintf(&b, `,opaque="%s"`, ch.opaque)
	}
	if qop {
		fmt.Fprintf(&b, `,qop=auth,nc=%s,cnonce="%s"`, nc, cnonce)
	} else if sess {
		fmt.Fprintf(&b, `,cnonce="%s"`, cnonce)
	}
	return b.String(), nil
}
