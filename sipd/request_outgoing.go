package sipd

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// What every request the registrar sends (queries, INVITE, ACK, CANCEL, BYE) shares:
// where it goes (a device's binding), the sent-by of its Via, fresh tags, branches and
// Call-IDs, and its bytes.

// bindingSource is where requests to a device go: over UDP to the address it
// registered from, over TCP on its connection from there while it is open.
func (s *Server) bindingSource(b Binding) (source, error) {
	remote, err := netip.ParseAddrPort(b.RemoteAddr)
	if err != nil {
		return source{}, fmt.Errorf("%w: bad remote address %q", ErrUnreachable, b.RemoteAddr)
	}
	if b.Transport != "TCP" {
		return source{transport: "UDP", addr: remote}, nil
	}
	conn := s.conns.get(remote)
	if conn == nil {
		return source{}, fmt.Errorf("%w: TCP connection of %s is closed", ErrUnreachable, b.DeviceID)
	}
	return source{transport: "TCP", addr: remote, conn: conn}, nil
}

// viaAddr is the sent-by of requests to remote: the configured advertise address, the
// TCP connection's local address, the listen address, or the local address the kernel
// routes to remote from.
func (s *Server) viaAddr(remote netip.AddrPort, conn *tcpConn) (string, int) {
	if s.cfg.AdvertiseAddr != "" {
		h, p, err := net.SplitHostPort(s.cfg.AdvertiseAddr)
		if err == nil {
			n, _ := strconv.Atoi(p)
			return h, n
		}
	}
	if conn != nil {
		if la, ok := conn.conn.LocalAddr().(*net.TCPAddr); ok {
			return la.AddrPort().Addr().Unmap().String(), la.Port
		}
	}
	la := s.udp.LocalAddr().(*net.UDPAddr)
	ip := la.AddrPort().Addr().Unmap()
	if ip.IsUnspecified() {
		if c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote)); err == nil {
			ip = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
			_ = c.Close()
		}
	}
	return ip.String(), la.Port
}

// randHex returns 2n random hex digits for tags, branches and Call-IDs.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestHeadersSize is room for the start line and headers of the requests the
// registrar writes (a MESSAGE's are some 400 bytes), so that writing one grows its
// buffer once, not five times from 64 bytes up.
const requestHeadersSize = 512

// requestBytes writes req out.
func requestBytes(req *sip.Request) []byte {
	var buf bytes.Buffer
	buf.Grow(requestHeadersSize + len(req.Body()))
	req.StringWrite(&buf)
	return buf.Bytes()
}
