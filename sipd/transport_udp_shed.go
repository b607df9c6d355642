package sipd

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv6"
)

// Shedding load over UDP: when the intake is full, the request it gives up is answered
// 503 with Retry-After, written straight from the request's raw Via, From, To, Call-ID
// and CSeq lines (writeRaw503) without parsing it, and the answers of one read batch go
// out together (sendmmsg), so that shedding a flood costs the reader little more than
// reading it. The logs of shedding are throttled.

// shedBatch collects the 503 answers of one read batch.
type shedBatch struct {
	msgs []ipv6.Message
	bufs [udpBatch]bytes.Buffer
}

// add writes the 503 answer to d, if it is a request that gets one.
func (b *shedBatch) add(d datagram, retryAfter, server string) {
	buf := &b.bufs[len(b.msgs)]
	buf.Reset()
	if writeRaw503(buf, d.data, retryAfter, server, shedTag()) {
		b.msgs = append(b.msgs, ipv6.Message{Buffers: [][]byte{buf.Bytes()}, Addr: net.UDPAddrFromAddrPort(d.src)})
	}
}

// flush sends the collected answers, best effort, and empties the batch.
func (b *shedBatch) flush(pc *ipv6.PacketConn) {
	for sent := 0; sent < len(b.msgs); {
		n, err := pc.WriteBatch(b.msgs[sent:], 0)
		if err != nil || n == 0 {
			break
		}
		sent += n
	}
	clear(b.msgs)
	b.msgs = b.msgs[:0]
}

// logShedding says that load is shed: at Warn once a minute, else at Debug.
func (s *Server) logShedding(msg string, src netip.AddrPort) {
	log := s.log.Debug
	if s.shedLog.allow(time.Now()) {
		log = s.log.Warn
	}
	log(msg, "source", src.String(), "queueLimit", s.cfg.MaxQueuedDatagrams)
}

var shedTags atomic.Uint64

// shedTag is a To tag for a 503: unique per answer, which is all RFC 3261 asks of it.
func shedTag() string {
	return "shed" + strconv.FormatUint(shedTags.Add(1), 36)
}

// writeRaw503 writes a 503 answer to the request in data by copying its Via, From, To,
// Call-ID and CSeq lines (full or compact names) as they are, adding a To tag when
// there is none. It reports false, writing nothing useful, when data is a response, an
// ACK (never answered) or lacks one of those headers.
func writeRaw503(buf *bytes.Buffer, data []byte, retryAfter, server, tag string) bool {
	line, rest, _ := bytes.Cut(data, []byte("\n"))
	if bytes.HasPrefix(line, []byte("SIP/")) || bytes.HasPrefix(line, []byte("ACK ")) {
		return false
	}
	buf.WriteString("SIP/2.0 503 Service Unavailable\r\n")
	const (
		via = 1 << iota
		from
		to
		callID
		cseq
		all = via | from | to | callID | cseq
	)
	seen := 0
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		var kind int
		switch name := bytes.TrimSpace(line[:colon]); {
		case isHeader(name, "via", "v"):
			kind = via
		case isHeader(name, "from", "f"):
			kind = from
		case isHeader(name, "to", "t"):
			kind = to
		case isHeader(name, "call-id", "i"):
			kind = callID
		case isHeader(name, "cseq", ""):
			kind = cseq
		default:
			continue
		}
		seen |= kind
		buf.Write(line)
		if kind == to && !hasTagParam(line[colon+1:]) {
			buf.WriteString(";tag=")
			buf.WriteString(tag)
		}
		buf.WriteString("\r\n")
	}
	if seen != all {
		return false
	}
	buf.WriteString("Retry-After: ")
	buf.WriteString(retryAfter)
	buf.WriteString("\r\nServer: ")
	buf.WriteString(server)
	buf.WriteString("\r\nContent-Length: 0\r\n\r\n")
	return true
}

// isHeader reports whether name is the header full or, compact, short (case-insensitive).
func isHeader(name []byte, full, short string) bool {
	return bytes.EqualFold(name, []byte(full)) || (short != "" && bytes.EqualFold(name, []byte(short)))
}

// hasTagParam reports whether a To/From value carries a tag parameter.
func hasTagParam(value []byte) bool {
	for _, param := range bytes.Split(value, []byte(";"))[1:] {
		name, _, _ := bytes.Cut(param, []byte("="))
		if bytes.EqualFold(bytes.TrimSpace(name), []byte("tag")) {
			return true
		}
	}
	return false
}
