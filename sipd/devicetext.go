package sipd

import (
	"strings"
	"unicode/utf8"
)

// Text a device chooses (reason phrases, tags, Contact URIs, SDP fields) travels on into
// logs, errors and Kubernetes status. It is copied, so that it does not keep the whole
// message it came in alive, and cut to a bound, so that a 40 KB reason phrase cannot
// make a status write fail.

// maxReasonLen bounds a device's reason phrase as the registrar passes it on.
const maxReasonLen = 128

// deviceText returns a copy of s cut to at most limit bytes, on a character boundary.
func deviceText(s string, limit int) string {
	if len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit]
	}
	return strings.Clone(s)
}
