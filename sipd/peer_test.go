package sipd_test

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
)

// rawPeer talks to the server over a bare socket, to send bytes exactly as devices do.
type rawPeer struct {
	t   testing.TB
	udp *net.UDPConn
	tcp net.Conn
	br  *bufio.Reader
}

func dialRaw(t testing.TB, s *sipd.Server, transport string) *rawPeer {
	t.Helper()
	return dialRawFrom(t, s, transport, "")
}

// dialRawFrom is dialRaw from the local address ip ("" for any), so that one test can
// play several hosts on 127.0.0.0/8.
func dialRawFrom(t testing.TB, s *sipd.Server, transport, ip string) *rawPeer {
	t.Helper()
	p := &rawPeer{t: t}
	var local net.IP
	if ip != "" {
		local = net.ParseIP(ip)
	}
	if transport == "tcp" {
		c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}).Dial("tcp", s.TCPAddr())
		if err != nil {
			t.Fatal(err)
		}
		p.tcp, p.br = c, bufio.NewReader(c)
		t.Cleanup(func() { c.Close() })
		return p
	}
	ua, _ := net.ResolveUDPAddr("udp", s.UDPAddr())
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: local}, ua)
	if err != nil {
		t.Fatal(err)
	}
	p.udp = c
	t.Cleanup(func() { c.Close() })
	return p
}

func (p *rawPeer) localPort() string {
	var a net.Addr
	if p.tcp != nil {
		a = p.tcp.LocalAddr()
	} else {
		a = p.udp.LocalAddr()
	}
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// localAddr is where p's requests come from, as the registrar sees them.
func (p *rawPeer) localAddr() netip.AddrPort {
	if p.tcp != nil {
		return p.tcp.LocalAddr().(*net.TCPAddr).AddrPort()
	}
	return p.udp.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (p *rawPeer) send(msg string) {
	p.t.Helper()
	var err error
	if p.tcp != nil {
		_, err = p.tcp.Write([]byte(msg))
	} else {
		_, err = p.udp.Write([]byte(msg))
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

// read returns the next message's raw bytes.
func (p *rawPeer) read() []byte {
	p.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	if p.tcp != nil {
		_ = p.tcp.SetReadDeadline(deadline)
		var msg []byte
		cl := 0
		for {
			line, err := p.br.ReadBytes('\n')
			if err != nil {
				p.t.Fatalf("read: %v (got %q)", err, msg)
			}
			msg = append(msg, line...)
			if n, ok := contentLengthLine(line); ok {
				cl = n
			}
			if string(line) == "\r\n" && len(msg) > 2 {
				break
			}
		}
		body := make([]byte, cl)
		if _, err := p.br.Read(body); cl > 0 && err != nil {
			p.t.Fatal(err)
		}
		return append(msg, body...)
	}
	_ = p.udp.SetReadDeadline(deadline)
	buf := make([]byte, 65536)
	n, err := p.udp.Read(buf)
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	return buf[:n]
}

// contentLengthLine parses a "Content-Length:" or compact "l:" header line.
func contentLengthLine(line []byte) (int, bool) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return 0, false
	}
	name = bytes.TrimSpace(name)
	if !bytes.EqualFold(name, []byte("content-length")) && !bytes.EqualFold(name, []byte("l")) {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
	return n, err == nil && n >= 0
}

func (p *rawPeer) exchange(msg string) *sip.Response {
	p.t.Helper()
	p.send(msg)
	if p.tcp == nil {
		// As a UDP client does (RFC 3261 §17.1.2.2, T1 doubling): a loaded registrar drops
		// a request that waited past its queue delay, and answers the retransmission.
		for wait := 500 * time.Millisecond; wait <= 4*time.Second; wait *= 2 {
			if res := p.answerWithin(wait); res != nil {
				return res
			}
			p.send(msg)
		}
		p.t.Fatalf("no answer to a request sent five times over UDP: %.200q", msg)
	}
	raw := p.read()
	m, err := sip.ParseMessage(raw)
	if err != nil {
		p.t.Fatalf("unparseable answer %q: %v", raw, err)
	}
	res, ok := m.(*sip.Response)
	if !ok {
		p.t.Fatalf("not a response: %q", raw)
	}
	return res
}

// answerWithin returns the next answer the peer receives within d, nil if none.
func (p *rawPeer) answerWithin(d time.Duration) *sip.Response {
	p.t.Helper()
	_ = p.udp.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 65536)
	n, err := p.udp.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	if err != nil {
		p.t.Fatal(err)
	}
	m, err := sip.ParseMessage(buf[:n])
	if err != nil {
		p.t.Fatalf("unparseable answer %q: %v", buf[:n], err)
	}
	res, ok := m.(*sip.Response)
	if !ok {
		p.t.Fatalf("not a response: %q", buf[:n])
	}
	return res
}

// readRequest reads the next request p receives.
func readRequest(t testing.TB, p *rawPeer) *sip.Request {
	t.Helper()
	raw := p.read()
	m, err := sip.ParseMessage(raw)
	if err != nil {
		t.Fatalf("unparseable %q: %v", raw, err)
	}
	req, ok := m.(*sip.Request)
	if !ok {
		t.Fatalf("not a request: %q", raw)
	}
	return req
}

// sinkAddr is a UDP address on 127.0.0.1 whose socket nobody reads: where answers to
// requests handed to the registrar directly go.
func sinkAddr(tb testing.TB) netip.AddrPort {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}
