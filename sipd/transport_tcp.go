package sipd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The TCP transport: connections bounded in all and per IP address (tcpConns), one
// goroutine per connection framing messages by their Content-Length within
// MaxMessageSize (413 past it, 400 without one), RFC 5626 CRLF pings answered, idle
// connections closed after TCPIdleTimeout, and writes serialised per connection, since
// answers and the registrar's own requests share it.

// tcpWriteTimeout bounds a write to a device that stopped reading.
const tcpWriteTimeout = 5 * time.Second

func (s *Server) serveTCP() {
	for {
		c, err := s.tcp.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("TCP accept failed", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		raddr := c.RemoteAddr().(*net.TCPAddr).AddrPort()
		raddr = netip.AddrPortFrom(raddr.Addr().Unmap(), raddr.Port())
		tc := &tcpConn{conn: c, remote: raddr}
		if err := s.conns.add(tc); err != nil {
			s.log.Warn("refusing TCP connection", "source", raddr.String(), "error", err)
			_ = c.Close()
			continue
		}
		s.goRun(func() {
			defer s.conns.remove(tc)
			defer tc.conn.Close()
			s.serveTCPConn(tc)
		})
	}
}

// tcpRetainedBuffer is the message buffer a connection keeps between messages: a
// keepalive fits; after a larger message the buffer is released, so that thousands of
// idle connections do not each hold the peak of their largest message.
const tcpRetainedBuffer = 4096

// serveTCPConn frames messages by their Content-Length, bounded by MaxMessageSize.
func (s *Server) serveTCPConn(c *tcpConn) {
	br := bufio.NewReaderSize(c.conn, 4096)
	var msg []byte
	src := source{transport: "TCP", addr: c.remote, conn: c}
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(s.cfg.TCPIdleTimeout))
		if cap(msg) > tcpRetainedBuffer {
			msg = nil
		}
		msg = msg[:0]
		contentLength := -1
		blank := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				if errors.Is(err, bufio.ErrBufferFull) {
					s.log.Warn("closing TCP connection: header line too long", "source", c.remote.String())
				} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					s.log.Debug("TCP connection ended", "source", c.remote.String(), "error", err)
				}
				return
			}
			if len(msg) == 0 && isBlankLine(line) {
				// RFC 5626 §3.5.1 keepalive: a double CRLF ping gets a CRLF pong, and
				// shows the connection is alive.
				_ = c.conn.SetReadDeadline(time.Now().Add(s.cfg.TCPIdleTimeout))
				if blank++; blank == 2 {
					blank = 0
					if err := c.write([]byte("\r\n")); err != nil {
						return
					}
				}
				continue
			}
			blank = 0
			if len(msg)+len(line) > s.cfg.MaxMessageSize {
				s.tooLarge(append(msg, "\r\n"...), src)
				return
			}
			msg = append(msg, line...)
			if isBlankLine(line) {
				break
			}
			if cl, ok := contentLengthLine(line); ok {
				contentLength = cl
			}
		}
		if contentLength < 0 {
			// RFC 3261 §18.3: mandatory over streams; without it there is no framing.
			s.log.Warn("closing TCP connection: message without Content-Length", "source", c.remote.String())
			s.badFraming(msg, src)
			return
		}
		if len(msg)+contentLength > s.cfg.MaxMessageSize {
			s.tooLarge(msg, src)
			return
		}
		start := len(msg)
		msg = append(msg, make([]byte, contentLength)...)
		if _, err := io.ReadFull(br, msg[start:]); err != nil {
			return
		}
		s.handle(msg, src)
	}
}

func isBlankLine(line []byte) bool {
	return len(line) == 1 || (len(line) == 2 && line[0] == '\r')
}

// contentLengthLine parses a "Content-Length:" or compact "l:" header line.
func contentLengthLine(line []byte) (int, bool) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return 0, false
	}
	name := bytes.TrimSpace(line[:i])
	if !bytes.EqualFold(name, []byte("content-length")) && !bytes.EqualFold(name, []byte("l")) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(line[i+1:])))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// tooLarge answers 413 to a message whose header section is in head, if it parses.
func (s *Server) tooLarge(head []byte, src source) {
	s.metrics.dropped.Inc()
	s.log.Warn("message too large", "source", src.addr.String(), "transport", src.transport, "limit", s.cfg.MaxMessageSize)
	s.answerHead(head, src, 413, "Request Entity Too Large")
}

func (s *Server) badFraming(head []byte, src source) {
	s.answerHead(head, src, 400, "Missing Content-Length")
}

// answerHead answers a request of which only the header section is usable.
func (s *Server) answerHead(head []byte, src source, code int, reason string) {
	msg, _, _ := s.parser.Parse(head, false)
	req, ok := asRequest(msg)
	if !ok || req.Via() == nil {
		return
	}
	rb := s.newResponse(req, src, code, reason)
	s.finish(rb, src)
}

// tcpConn is one device's TCP connection; writes are serialised because queries and
// answers share it.
type tcpConn struct {
	conn   *net.TCPConn
	remote netip.AddrPort
	mu     sync.Mutex
}

func (c *tcpConn) write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(tcpWriteTimeout))
	_, err := c.conn.Write(b)
	return err
}

// tcpConns indexes the open connections by remote address, so that requests to a
// device go over the connection it registered on. It bounds them in all and per IP
// address, so that one host cannot keep every other device out.
type tcpConns struct {
	mu         sync.Mutex
	m          map[netip.AddrPort]*tcpConn
	perAddr    map[netip.Addr]int
	maxConns   int
	maxPerAddr int
	// open counts the connections in m, for sipd_tcp_connections.
	open prometheus.Gauge
}

var (
	errTooManyConns        = errors.New("too many open TCP connections")
	errTooManyConnsPerAddr = errors.New("too many open TCP connections from this address")
)

func newTCPConns(maxConns, maxPerAddr int, open prometheus.Gauge) *tcpConns {
	return &tcpConns{m: make(map[netip.AddrPort]*tcpConn), perAddr: make(map[netip.Addr]int), maxConns: maxConns, maxPerAddr: maxPerAddr, open: open}
}

func (t *tcpConns) add(c *tcpConn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.maxConns {
		return errTooManyConns
	}
	if t.m[c.remote] != nil {
		// A closed connection from the same port not yet removed: it is replaced and
		// its remove will find another connection there, so it is counted once.
		t.m[c.remote] = c
		return nil
	}
	ip := c.remote.Addr()
	if t.perAddr[ip] >= t.maxPerAddr {
		return errTooManyConnsPerAddr
	}
	t.m[c.remote] = c
	t.perAddr[ip]++
	t.open.Inc()
	return nil
}

func (t *tcpConns) remove(c *tcpConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[c.remote] != c {
		return
	}
	delete(t.m, c.remote)
	t.open.Dec()
	ip := c.remote.Addr()
	if t.perAddr[ip] <= 1 {
		delete(t.perAddr, ip)
	} else {
		t.perAddr[ip]--
	}
}

func (t *tcpConns) get(addr netip.AddrPort) *tcpConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[addr]
}

func (t *tcpConns) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.m {
		_ = c.conn.Close()
	}
}
