package devices

import "strings"

// Clean makes a device-supplied string safe to store in a status: valid UTF-8, no
// control characters, at most limit bytes (cut on a character boundary). A device must
// not be able to make an object too large to store, or a status write fail validation.
func Clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !runeStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }
