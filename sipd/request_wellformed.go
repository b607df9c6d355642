package sipd

import (
	"bytes"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// What sipgo's parser accepts but RFC 3261 and RFC 4475 do not, or the reverse: the
// few checks the registrar adds so that the torture messages of testdata/torture get
// the answers the RFCs give them.

// trimLeadingCRLF drops the empty lines some stacks send before the start line (RFC
// 3261 §7.5 says to ignore them on streams; being liberal, over UDP too).
func trimLeadingCRLF(data []byte) []byte {
	return bytes.TrimLeft(data, "\r\n")
}

// isSIP2 reports whether req speaks SIP/2.0; others get 505 (RFC 4475 §3.1.2.15).
func isSIP2(req *sip.Request) bool {
	return strings.EqualFold(req.SipVersion, "SIP/2.0")
}

// checkSingletons returns the reason phrase of a 400 when a header that must appear
// once (RFC 3261 §7.3.1: From, To, Call-ID, CSeq) appears twice, "" otherwise: which
// copy would be the identity of the request is anyone's guess.
func checkSingletons(req *sip.Request) string {
	var from, to, callID, cseq int
	for _, h := range req.Headers() {
		switch h.(type) {
		case *sip.FromHeader:
			from++
		case *sip.ToHeader:
			to++
		case *sip.CallIDHeader:
			callID++
		case *sip.CSeqHeader:
			cseq++
		}
	}
	switch {
	case from > 1:
		return "Duplicate From"
	case to > 1:
		return "Duplicate To"
	case callID > 1:
		return "Duplicate Call-ID"
	case cseq > 1:
		return "Duplicate CSeq"
	}
	return ""
}

// checkMandatory returns the reason phrase of a 400 when the request lacks a mandatory
// header (RFC 3261 §8.1.1) or its CSeq names another method, "" when it is fine.
func checkMandatory(req *sip.Request) string {
	switch {
	case req.From() == nil:
		return "Missing From"
	case req.To() == nil:
		return "Missing To"
	case req.CallID() == nil:
		return "Missing Call-ID"
	case req.CSeq() == nil:
		return "Missing CSeq"
	}
	if cseqMethod(req.CSeq()) != string(req.Method) {
		return "CSeq Method Mismatch"
	}
	return checkSingletons(req)
}
