package sipd

import (
	"bytes"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Some firmware declares the Content-Length of a GB2312 or UTF-8 body in characters,
// not bytes, so the declared length cuts the XML short. Over TCP nothing can be done:
// Content-Length is the framing. Over UDP the datagram bounds the message, and sipgo's
// parser drops what follows the declared length (RFC 3261 §18.3). Being liberal in
// what we accept, a MANSCDP body that does not decode as declared is decoded again from
// the whole rest of the datagram, and the device's miscount is logged.

// decodeMANSCDP decodes body, falling back to the datagram's whole body over UDP.
func (s *Server) decodeMANSCDP(src source, deviceID string, body []byte, charset string, now time.Time) (*manscdp.Message, error) {
	msg, err := manscdp.Decode(body, charset)
	if err == nil || src.datagram == nil {
		return msg, err
	}
	whole := datagramBody(src.datagram)
	if len(whole) <= len(body) || !bytes.HasPrefix(whole, body) {
		return msg, err
	}
	wholeMsg, wholeErr := manscdp.Decode(whole, charset)
	if wholeErr != nil {
		return msg, err
	}
	// Info once a minute tells the operator which firmware miscounts; Debug has them all.
	s.infoOrDebug(&s.overlongLog, now)("Content-Length cuts the MANSCDP body short; decoded the whole datagram", "device", deviceID, "source", src.addr.String(), "contentLength", len(body), "bodyBytes", len(whole))
	return wholeMsg, nil
}

// datagramBody returns what follows the header section of a datagram, without the NUL
// padding some stacks add.
func datagramBody(datagram []byte) []byte {
	if i := bytes.Index(datagram, []byte("\r\n\r\n")); i >= 0 {
		return bytes.TrimRight(datagram[i+4:], "\x00")
	}
	if i := bytes.Index(datagram, []byte("\n\n")); i >= 0 {
		return bytes.TrimRight(datagram[i+2:], "\x00")
	}
	return nil
}
