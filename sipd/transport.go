package sipd

import (
	"fmt"
	"net"
	"net/netip"
)

// The registrar runs its own small transport instead of sipgo's transport and
// transaction layers: it answers REGISTER and MESSAGE statelessly (a retransmission is
// simply handled again, which both are safe for), so nothing is kept per request, every
// table that remote peers could grow is bounded, and a REGISTER costs one parse and one
// write. sipgo's parser and message types are used for everything on the wire.
//
// This file holds what both transports share: where a message came from (source), how
// an answer or a request goes back (send), binding the two listeners, and comparing
// addresses. transport_udp*.go and transport_tcp.go are the two transports.

// source is where a message came from, and so where its answer goes.
type source struct {
	transport string // "UDP" or "TCP"
	addr      netip.AddrPort
	conn      *tcpConn // the device's own connection, nil over UDP
	// datagram is the whole UDP datagram while it is handled, nil over TCP: a body may
	// run past its Content-Length (see message_manscdp.go).
	datagram []byte
	// msg is the request's bytes while it is handled, over either transport: a
	// retransmission is the same bytes (see replayTracker).
	msg []byte
}

// send writes one message to src: over UDP to its source address and port (RFC 3581,
// and what a device behind NAT can receive), over TCP on its connection.
func (s *Server) send(src source, b []byte) error {
	if src.conn != nil {
		return src.conn.write(b)
	}
	_, err := s.udp.WriteToUDPAddrPort(b, src.addr)
	return err
}

// listenPair binds UDP and TCP on the same address. With port 0 it looks for a port
// free for both.
func listenPair(addr string) (*net.UDPConn, *net.TCPListener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("sipd: listen address %q: %w", addr, err)
	}
	attempts := 1
	if port == "0" {
		attempts = 32
	}
	var lastErr error
	for range attempts {
		tl, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, fmt.Errorf("sipd: listen tcp %s: %w", addr, err)
		}
		tcp := tl.(*net.TCPListener)
		bound := tcp.Addr().(*net.TCPAddr)
		ul, err := net.ListenPacket("udp", net.JoinHostPort(host, fmt.Sprint(bound.Port)))
		if err != nil {
			_ = tcp.Close()
			lastErr = err
			continue
		}
		udp := ul.(*net.UDPConn)
		// A registration storm arrives as a burst; a larger socket buffer absorbs it
		// instead of dropping datagrams. Best effort: the kernel caps it.
		_ = udp.SetReadBuffer(4 << 20)
		_ = udp.SetWriteBuffer(4 << 20)
		return udp, tcp, nil
	}
	return nil, nil, fmt.Errorf("sipd: listen udp %s: %w", addr, lastErr)
}

// sameHost compares the host of an "ip:port" with ip.
func sameHost(remote, ip string) bool {
	if len(remote) <= len(ip) {
		return false
	}
	if remote[0] == '[' {
		return len(remote) > len(ip)+2 && remote[1:len(ip)+1] == ip && remote[len(ip)+1] == ']'
	}
	return remote[:len(ip)] == ip && remote[len(ip)] == ':'
}
