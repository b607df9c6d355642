package mansrtsp

import (
	"fmt"
	"strconv"
	"strings"
)

// A device answers an INFO it took with a 200 whose body, when it has one, is an
// RTSP-like status:
//
//	RTSP/1.0 200 OK
//	CSeq: 3
//
// A device that took the INFO but not the request in it (a Scale it cannot play, a Range
// past the file) may say so there: RTSP/1.0 457 Invalid Range. Many devices send an
// empty body; the SIP answer is then all there is.

// Response is a device's MANSRTSP status.
type Response struct {
	// Code and Reason are the status line's (200 OK).
	Code   int
	Reason string
	// CSeq is the request's sequence number the device echoes, 0 when it has none.
	CSeq int
}

// OK reports whether the device accepted the request.
func (r Response) OK() bool { return r.Code >= 200 && r.Code < 300 }

// maxReasonLen bounds the reason phrase DecodeResponse keeps.
const maxReasonLen = 128

// DecodeResponse reads a device's MANSRTSP status. It is lenient where devices differ
// (RTSP/1.0 or MANSRTSP/1.0, LF or CRLF, headers it does not know, a CSeq that does not
// parse) and refuses what is not a status at all. The reason is cut to 128 bytes of
// printable ASCII.
func DecodeResponse(body []byte) (Response, error) {
	if len(body) > MaxBodySize {
		return Response{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), MaxBodySize)
	}
	lines := strings.Split(strings.TrimLeft(string(body), "\r\n\t "), "\n")
	version, rest, _ := strings.Cut(strings.TrimSpace(lines[0]), " ")
	if v := strings.ToUpper(version); v != "RTSP/1.0" && v != "MANSRTSP/1.0" {
		return Response{}, fmt.Errorf("%w: status line %q", ErrMalformed, truncate(lines[0]))
	}
	code, reason, _ := strings.Cut(strings.TrimSpace(rest), " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 699 {
		return Response{}, fmt.Errorf("%w: status code %q", ErrMalformed, truncate(code))
	}
	r := Response{Code: n, Reason: printable(reason)}
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "cseq") {
			if c, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && c > 0 {
				r.CSeq = c
			}
		}
	}
	return r, nil
}

// printable keeps the printable ASCII of s, at most maxReasonLen bytes of it.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > maxReasonLen {
		s = s[:maxReasonLen]
	}
	return s
}

// truncate cuts text quoted in an error.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
