package sipd

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"time"

	"golang.org/x/net/ipv6"
)

// The UDP transport: UDPReaders goroutines read the socket, a batch at a time, into a
// bounded, fair queue (transport_udp_intake.go), and UDPWorkers goroutines handle what
// it holds. The queue is where overload shows: new work (a REGISTER opening a
// registration, transport_udp_opens.go) that would wait too long, or the heaviest
// sender's newest request when it is full, is shed with a 503 written from its raw
// header lines (transport_udp_shed.go), and a worker drops a datagram that waited longer
// than a client waits before retransmitting. Either way the registrar keeps answering at
// its full rate, registered devices and registrations under way first, instead of
// serving ever older requests whose senders have given up on them.

// datagram is one UDP message waiting for a worker.
type datagram struct {
	data     []byte
	src      netip.AddrPort
	received time.Time
	// opens marks a REGISTER that opens a registration, the first work overload sheds
	// (transport_udp_opens.go).
	opens bool
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
	d := datagram{data: bytes.Clone(data), src: src, received: now, opens: opensRegistration(data)}
	if shed, ok := in.push(d, s.table.boundSource(src)); ok {
		s.metrics.shed.Inc()
		s.logShedding("over capacity: answering 503", shed.src)
		sheds.add(shed, s.retryAfter, s.cfg.UserAgent)
	}
}

// handleUDP handles queued datagrams until in is closed and drained.
func (s *Server) handleUDP(in *intake) {
	for {
		d, ok := in.pop()
		if !ok {
			return
		}
		now := time.Now()
		waited := now.Sub(d.received)
		s.metrics.queueDelay.Observe(waited.Seconds())
		s.queueDelay.record(waited, now)
		if waited > s.cfg.MaxQueueDelay {
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
