package sipd

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"
)

// UDP intake: one goroutine reads the socket into a bounded queue, UDPWorkers goroutines
// handle what it holds. The queue is where overload shows: when it is full the reader
// sheds the request with a 503 written from its raw header lines, and a worker drops a
// datagram that waited longer than a client waits before retransmitting. Either way
// the registrar keeps answering at its full rate instead of serving ever older
// requests whose senders have given up on them.

// datagram is one UDP message waiting for a worker.
type datagram struct {
	data     []byte
	src      netip.AddrPort
	received time.Time
}

// readUDP reads datagrams into intake until the socket is closed, then closes intake.
func (s *Server) readUDP(intake chan<- datagram) {
	defer close(intake)
	buf := make([]byte, 65536)
	for {
		n, addr, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("UDP read failed", "error", err)
			continue
		}
		if n > s.cfg.MaxMessageSize {
			s.metrics.dropped.Inc()
			s.log.Warn("dropping oversized UDP datagram", "source", addr.String(), "bytes", n, "limit", s.cfg.MaxMessageSize)
			continue
		}
		data := buf[:n]
		if len(bytes.TrimLeft(data, "\r\n\x00")) == 0 {
			continue // NAT keepalive (CRLF) or padding
		}
		// Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; unmap so bindings
		// and Via received= carry the plain address the device knows.
		src := netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
		select {
		case intake <- datagram{data: bytes.Clone(data), src: src, received: time.Now()}:
		default:
			s.shed(data, src)
		}
	}
}

// handleUDP handles queued datagrams until intake is closed.
func (s *Server) handleUDP(intake <-chan datagram) {
	for d := range intake {
		if time.Since(d.received) > s.cfg.MaxQueueDelay {
			s.metrics.shed.Inc()
			s.logShedding("dropping a datagram that waited too long for a worker", d.src)
			continue
		}
		s.handle(d.data, source{transport: "UDP", addr: d.src})
	}
}

// shed answers a request the registrar has no capacity for with 503 and Retry-After,
// built from its raw header lines without parsing it; anything else is dropped.
func (s *Server) shed(data []byte, src netip.AddrPort) {
	s.metrics.shed.Inc()
	s.logShedding("over capacity: answering 503", src)
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if !writeRaw503(buf, data, s.retryAfter, s.cfg.UserAgent, shedTag()) {
		return
	}
	_ = s.send(source{transport: "UDP", addr: src}, buf.Bytes())
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
