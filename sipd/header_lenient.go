package sipd

import (
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Devices write SIP loosely: sipgo keeps parameter keys as written ("; expires=3600"
// yields the key " expires"), CSeq methods may carry extra spaces, header names and
// parameters come in any case. These helpers read such messages as a lenient peer would.

// paramValue looks key up in params ignoring case and surrounding spaces.
func paramValue(params sip.HeaderParams, key string) (string, bool) {
	for _, kv := range params {
		if strings.EqualFold(strings.TrimSpace(kv.K), key) {
			return strings.TrimSpace(kv.V), true
		}
	}
	return "", false
}

// headerValue returns the first header called name (case-insensitive), or "".
func headerValue(req *sip.Request, name string) string {
	for _, h := range req.Headers() {
		if strings.EqualFold(h.Name(), name) {
			return strings.TrimSpace(h.Value())
		}
	}
	return ""
}

// cseqMethod is the CSeq method without stray spaces, upper-cased.
func cseqMethod(c *sip.CSeqHeader) string {
	m := strings.TrimSpace(string(c.MethodName))
	for i := 0; i < len(m); i++ {
		if 'a' <= m[i] && m[i] <= 'z' {
			return strings.ToUpper(m)
		}
	}
	return m
}

// parseSeconds parses a delta-seconds value, tolerating spaces; false when malformed.
func parseSeconds(v string) (int64, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, false
	}
	return int64(n), true
}

// contentCharset extracts the charset parameter of a Content-Type value.
func contentCharset(ct string) string {
	for {
		i := strings.IndexByte(ct, ';')
		if i < 0 {
			return ""
		}
		ct = ct[i+1:]
		kv := ct
		if j := strings.IndexByte(kv, ';'); j >= 0 {
			kv = kv[:j]
		}
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
}
