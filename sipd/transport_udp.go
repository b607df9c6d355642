package sipd

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv6"
)

// UDP intake: the readers read the socket into a bounded, fair queue
// (transport_udp_intake.go), UDPWorkers goroutines handle what it holds. The queue is where overload shows: when it
// is full the heaviest sender's newest request is shed with a 503 written from its raw
// header lines, and a worker drops a datagram that waited longer than a client waits
// before retransmitting. Either way the registrar keeps answering at its full rate,
// registered devices first, instead of serving ever older requests whose senders have
// given up on them.

// datagram is one UDP message waiting for a worker.
type datagram struct {
	data     []byte
	src      netip.AddrPort
	received time.Time
}

// udpBatch is how many datagrams one read takes from the socket (recvmmsg): a flood
// must be drained at the rate it arrives, or the kernel drops datagrams before the intake
// can choose which to serve, registered devices' keepalives among them.
const udpBatch = 16

// readUDP reads datagrams into in until the socket is closed, then closes in. The 503
// answers of what it sheds go out together after each batch (sendmmsg), so that
// shedding a flood costs the reader little more than reading it.
func (s *Server) readUDP(in *intake) {
	defer in.close()
	pc := ipv6.NewPacketConn(s.udp)
	msgs := make([]ipv6.Message, udpBatch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 65536)}
	}
	var sheds shedBatch
	for {
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("UDP read failed", "error", err)
			continue
		}
		now := time.Now()
		for i := range msgs[:n] {
			m := &msgs[i]
			if addr, ok := m.Addr.(*net.UDPAddr); ok {
				s.intakeDatagram(in, &sheds, m.Buffers[0][:m.N], addr.AddrPort(), now)
			}
			m.Addr = nil
		}
		sheds.flush(pc)
	}
}

// intakeDatagram queues one datagram read from addr; what the intake gives up is
// answered 503 in sheds.
func (s *Server) intakeDatagram(in *intake, sheds *shedBatch, data []byte, addr netip.AddrPort, now time.Time) {
	if len(data) > s.cfg.MaxMessageSize {
		s.metrics.dropped.Inc()
		s.warnOrDebug(&s.oversizeLog, now)("dropping oversized UDP datagram", "source", addr.String(), "bytes", len(data), "limit", s.cfg.MaxMessageSize)
		return
	}
	if len(bytes.TrimLeft(data, "\r\n\x00")) == 0 {
		return // NAT keepalive (CRLF) or padding
	}
	// Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; unmap so bindings and
	// Via received= carry the plain address the device knows.
	src := netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	d := datagram{data: bytes.Clone(data), src: src, received: now}
	if shed, ok := in.push(d, s.table.boundSource(src)); ok {
		s.metrics.shed.Inc()
		s.logShedding("over capacity: answering 503", shed.src)
		sheds.add(shed, s.retryAfter, s.cfg.UserAgent)
	}
}

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

// handleUDP handles queued datagrams until in is closed and drained.
func (s *Server) handleUDP(in *intake) {
	for {
		d, ok := in.pop()
		if !ok {
			return
		}
		if time.Since(d.received) > s.cfg.MaxQueueDelay {
			s.metrics.shed.Inc()
			s.logShedding("dropping a datagram that waited too long for a worker", d.src)
			continue
		}
		s.handle(d.data, source{transport: "UDP", addr: d.src})
		// Under a flood the queue never runs dry, and a worker would keep its P until
		// preempted, 10 ms later; the readers, made runnable by the poller meanwhile,
		// would wait, and the kernel drop what they have not read. Yielding after each
		// datagram lets them drain the socket (BenchmarkKeepalivesUnderFlood: 93 % of
		// the keepalives answered without it, 99.5 % and more with it).
		runtime.Gosched()
	}
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
