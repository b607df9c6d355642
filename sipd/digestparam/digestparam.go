// Package digestparam reads the parameter lists of HTTP digest authentication as SIP
// peers write them in WWW-Authenticate and Authorization headers:
//
//	Digest realm="3402000000", nonce="a,b",algorithm=MD5 ,qop = "auth"
//
// The scheme in any case, any spacing around commas and '=', values quoted (commas
// allowed inside) or bare. It is the one parser of these lists in the module: the
// registrar, the simulator and the benchmarks use it. It is a leaf package (no SIP
// stack) so that the simulator can use it while sipd's own tests use the simulator.
package digestparam

import (
	"errors"
	"strings"
)

var (
	// ErrNotDigest is returned for a header whose scheme is not Digest.
	ErrNotDigest = errors.New("authentication scheme is not Digest")
	// ErrSyntax is returned for a parameter without '=' or a quote left open.
	ErrSyntax = errors.New("malformed digest parameters")
)

// Parse returns the parameters of a Digest header value, keys in lower case.
func Parse(header string) (map[string]string, error) {
	rest, err := List(header)
	if err != nil {
		return nil, err
	}
	params := make(map[string]string)
	for {
		var key, val string
		key, val, rest, err = Next(rest)
		if err != nil || key == "" {
			return params, err
		}
		params[strings.ToLower(key)] = val
	}
}

// List strips the Digest scheme from a header value and returns the parameter list
// after it, for Next.
func List(header string) (string, error) {
	v := strings.TrimLeft(header, " \t")
	sp := strings.IndexAny(v, " \t")
	if sp < 0 || !strings.EqualFold(v[:sp], "Digest") {
		return "", ErrNotDigest
	}
	return v[sp:], nil
}

// Next cuts the first `key=value` or `key="value"` off a parameter list; an empty key
// with a nil error means the list is done. Key and value point into list and the key
// keeps its case, so a caller on a hot path (the registrar reading every REGISTER)
// walks the list without allocating.
func Next(list string) (key, value, rest string, err error) {
	s := strings.TrimLeft(list, " \t,")
	if s == "" {
		return "", "", "", nil
	}
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return "", "", "", ErrSyntax
	}
	if key = strings.TrimSpace(s[:eq]); key == "" {
		return "", "", "", ErrSyntax
	}
	s = strings.TrimLeft(s[eq+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", "", "", ErrSyntax
		}
		return key, s[1 : end+1], s[end+2:], nil
	}
	end := strings.IndexByte(s, ',')
	if end < 0 {
		end = len(s)
	}
	return key, strings.TrimSpace(s[:end]), s[end:], nil
}
