package sipd

import "bytes"

// Which datagrams open new work: a REGISTER without an Authorization header starts a
// digest exchange (a 401 now, the device's answer later), and nothing has been spent on
// it yet. Everything else continues work under way: the answer to a challenge this
// registrar sent, whose 401 was already paid for, a registered device's keepalive, an
// answer to a query. Under overload the intake sheds what opens work first
// (transport_udp_intake.go): a device refused before its exchange began retries after
// Retry-After and loses nothing, while refusing an answer wastes the challenge and
// fails a registration that was one step from done.
//
// The test reads raw bytes, before any parsing, as the shedding does: the request line,
// then header names up to the blank line. Authorization has no compact form (RFC 3261
// §7.3.3). A malformed datagram reads as continuing work, so that this test never
// sheds anything the parser would have refused anyway in preference to it.

// opensRegistration reports whether data is a REGISTER request without Authorization.
func opensRegistration(data []byte) bool {
	line, rest, _ := bytes.Cut(bytes.TrimLeft(data, "\r\n"), []byte("\n"))
	if !bytes.HasPrefix(line, []byte("REGISTER ")) {
		return false
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			return true // the end of the headers, and no Authorization among them
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Authorization")) {
			return false
		}
	}
	return false // no end of headers: malformed, left to the parser
}
