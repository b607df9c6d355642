package sim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// NextID returns id plus n, as a decimal number of the same width: how a fleet numbers
// its devices from a first GB ID (34020000001320000001, ...0002, ...). It fails for
// non-digits and when the sum overflows the width.
func NextID(id string, n int) (string, error) {
	if id == "" || n < 0 {
		return "", fmt.Errorf("sim: cannot add %d to %q", n, id)
	}
	b := []byte(id)
	for _, c := range b {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("sim: ID %q is not all digits", id)
		}
	}
	carry := n
	for i := len(b) - 1; i >= 0 && carry > 0; i-- {
		v := int(b[i]-'0') + carry
		b[i] = byte('0' + v%10)
		carry = v / 10
	}
	if carry > 0 {
		return "", fmt.Errorf("sim: %q + %d overflows %d digits", id, n, len(id))
	}
	return string(b), nil
}

// newToken returns n random bytes in hex, for tags and Call-IDs.
func newToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}
