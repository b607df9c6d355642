package sipd

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// samplesDir holds the real captures; the repository keeps a copy under testdata.
const samplesDir = "testdata/samples"

func readSample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawPeer talks to the server over a bare socket, to send bytes exactly as devices do.
type rawPeer struct {
	t   testing.TB
	udp *net.UDPConn
	tcp net.Conn
	br  *bufio.Reader
}

func dialRaw(t testing.TB, s *Server, transport string) *rawPeer {
	t.Helper()
	return dialRawFrom(t, s, transport, "")
}

// dialRawFrom is dialRaw from the local address ip ("" for any), so that one test can
// play several hosts on 127.0.0.0/8.
func dialRawFrom(t testing.TB, s *Server, transport, ip string) *rawPeer {
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

// source is the registrar's view of p: where its requests come from.
func (p *rawPeer) source() source {
	if p.tcp != nil {
		return source{transport: "TCP", addr: p.tcp.LocalAddr().(*net.TCPAddr).AddrPort()}
	}
	return source{transport: "UDP", addr: p.udp.LocalAddr().(*net.UDPAddr).AddrPort()}
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

func (p *rawPeer) exchange(msg string) *sip.Response {
	p.t.Helper()
	p.send(msg)
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

var (
	nonceParam    = regexp.MustCompile(`([ ,])nonce="[^"]*"`)
	responseParam = regexp.MustCompile(`response="[^"]*"`)
	authLine      = regexp.MustCompile(`(?m)^Authorization: (.*)\r$`)
	viaBranch     = regexp.MustCompile(`branch=[^;\r]*`)
	expiresLine   = regexp.MustCompile(`(?m)^Expires: \d+\r$`)
)

// reauth rewrites a captured authenticated REGISTER for a new nonce: the digest is
// recomputed the way the device computed it (same username, uri, qop, nc, cnonce,
// algorithm spelling) with password.
func reauth(t testing.TB, captured, nonce, password string) string {
	t.Helper()
	m := authLine.FindStringSubmatch(captured)
	if m == nil {
		t.Fatal("capture has no Authorization")
	}
	a, err := parseAuthorization(m[1])
	if err != nil {
		t.Fatal(err)
	}
	a.nonce = nonce
	resp := string(digestHex(nil, parseAlg(a.algorithm), &a, password, "REGISTER"))
	out := nonceParam.ReplaceAllString(captured, `${1}nonce="`+nonce+`"`)
	return responseParam.ReplaceAllString(out, `response="`+resp+`"`)
}

func challengeNonce(t testing.TB, res *sip.Response) string {
	t.Helper()
	m := regexp.MustCompile(`nonce="([0-9a-f]+)"`).FindStringSubmatch(header(res, "WWW-Authenticate"))
	if m == nil {
		t.Fatalf("no nonce in %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
	}
	return m[1]
}

// TestSampleFlows replays the captured registrations: the unauthenticated REGISTER as
// captured, then the authenticated one with our nonce in place of the capture's.
func TestSampleFlows(t *testing.T) {
	flows := []struct {
		name, first, auth, transport string
		realm, id                    string
		creds                        Credentials
		cfg                          Config
		wantCode                     int
	}{
		{name: "hikvision admin user, opaque, no qop", first: "01-hikvision-udp-register.sip", auth: "03-hikvision-udp-register-auth-opaque.sip",
			transport: "udp", realm: "hik", id: "130909113319427420", creds: Credentials{Username: "admin", Password: "12345"}, wantCode: 200},
		{name: "pjsip qop", first: "05-pjsip-udp-register.sip", auth: "07-pjsip-udp-register-auth-qop.sip",
			transport: "udp", realm: "192.168.0.201", id: "1018", creds: Credentials{Password: "1234"}, wantCode: 200},
		{name: "pjsip tcp outbound lowercase md5, 30s asked", first: "09-pjsip-tcp-register-outbound.sip", auth: "12-pjsip-tcp-register-auth-md5.sip",
			transport: "tcp", realm: "32100045", id: "32100045", creds: Credentials{Password: "32100045"}, wantCode: 423},
		{name: "pjsip tcp outbound lowercase md5, 30s allowed", first: "09-pjsip-tcp-register-outbound.sip", auth: "12-pjsip-tcp-register-auth-md5.sip",
			transport: "tcp", realm: "32100045", id: "32100045", creds: Credentials{Password: "32100045"}, cfg: Config{MinExpires: 30 * time.Second}, wantCode: 200},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			store := newMemStore()
			store.set(f.id, f.creds)
			cfg := f.cfg
			cfg.Realm = f.realm
			s := startServer(t, cfg, store)
			p := dialRaw(t, s, f.transport)
			res := p.exchange(readSample(t, f.first))
			if res.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d %s", res.StatusCode, res.Reason)
			}
			via := res.Via()
			if rport, _ := via.Params.Get("rport"); rport != p.localPort() {
				t.Errorf("rport=%q, want %s", rport, p.localPort())
			}
			if rcv, _ := via.Params.Get("received"); rcv != "127.0.0.1" {
				t.Errorf("received=%q", rcv)
			}
			res = p.exchange(reauth(t, readSample(t, f.auth), challengeNonce(t, res), f.creds.Password))
			if res.StatusCode != f.wantCode {
				t.Fatalf("authenticated REGISTER: %d %s, want %d", res.StatusCode, res.Reason, f.wantCode)
			}
			switch f.wantCode {
			case 423:
				if header(res, "Min-Expires") != "60" {
					t.Errorf("Min-Expires %q", header(res, "Min-Expires"))
				}
			case 200:
				b := s.Device(f.id).Binding
				if b == nil || b.Transport != strings.ToUpper(f.transport) {
					t.Fatalf("binding %+v", b)
				}
				if c := res.Contact(); c == nil || c.Address.User != f.id {
					t.Errorf("contact %v", res.Contact())
				}
			}
			// The same, with a wrong password, is refused.
			res = p.exchange(readSample(t, f.first))
			res = p.exchange(reauth(t, readSample(t, f.auth), challengeNonce(t, res), f.creds.Password+"x"))
			if res.StatusCode != 403 {
				t.Errorf("wrong password: %d", res.StatusCode)
			}
		})
	}
}

// TestSampleRouteAccepted sends sample 10 (TCP, Route, ;alias, reg-id, +sip.instance).
func TestSampleRouteAccepted(t *testing.T) {
	store := newMemStore()
	store.set("101", Credentials{Password: "pw"})
	s := startServer(t, Config{Realm: "32100045"}, store)
	p := dialRaw(t, s, "tcp")
	res := p.exchange(readSample(t, "10-pjsip-tcp-register-route.sip"))
	if res.StatusCode != 401 {
		t.Fatalf("%d %s", res.StatusCode, res.Reason)
	}
	if via := res.Via(); !via.Params.Has("alias") {
		t.Errorf("Via params lost: %v", via)
	}
}

// TestCapturedDigests checks the verifier against the digests real devices computed.
func TestCapturedDigests(t *testing.T) {
	vectors := []struct{ file, password string }{
		{"03-hikvision-udp-register-auth-opaque.sip", "12345"},
		{"07-pjsip-udp-register-auth-qop.sip", "1234"},
		{"12-pjsip-tcp-register-auth-md5.sip", "32100045"},
	}
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			m := authLine.FindStringSubmatch(readSample(t, v.file))
			a, err := parseAuthorization(m[1])
			if err != nil {
				t.Fatal(err)
			}
			alg := parseAlg(a.algorithm)
			if alg != algMD5 {
				t.Fatalf("algorithm %q", a.algorithm)
			}
			if !digestMatches(alg, &a, v.password, "REGISTER") {
				t.Error("device digest rejected with the right password")
			}
			if digestMatches(alg, &a, v.password+"0", "REGISTER") {
				t.Error("device digest accepted with a wrong password")
			}
			a.response = strings.ToUpper(a.response)
			if !digestMatches(alg, &a, v.password, "REGISTER") {
				t.Error("upper-case hex rejected")
			}
		})
	}
}

// TestCapturedResponsesParse checks that the captured answers (compact headers,
// lower-case md5, double spaces) parse, and that the challenge parser reads them.
func TestCapturedResponsesParse(t *testing.T) {
	for _, f := range []string{"02-hikvision-udp-401.sip", "04-hikvision-udp-200.sip", "06-freeswitch-401-compact-qop.sip",
		"08-freeswitch-200-compact.sip", "11-tcp-401-lowercase-md5.sip", "13-tcp-200.sip"} {
		m, err := sip.ParseMessage([]byte(readSample(t, f)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		res := m.(*sip.Response)
		if res.CallID() == nil || res.CSeq() == nil || res.Via() == nil {
			t.Errorf("%s: headers missing", f)
		}
		if res.StatusCode == 401 {
			// A challenge is an Authorization-shaped parameter list.
			ch := strings.Replace(header(res, "WWW-Authenticate"), "Digest", "Digest username=\"x\",uri=\"y\",response=\"z\",", 1)
			a, err := parseAuthorization(ch)
			if err != nil || a.nonce == "" || parseAlg(a.algorithm) != algMD5 {
				t.Errorf("%s: challenge %+v %v", f, a, err)
			}
		}
	}
}

// authRequest builds an authenticated REGISTER for devID with a given nonce and nc.
func authRequest(t testing.TB, s *Server, port, branch, nonce, nc string, cseq int, expires string) string {
	t.Helper()
	return authRequestFor(s, devID, devPW, port, branch, nonce, nc, cseq, expires)
}

// authRequestFor is authRequest for any device and password.
func authRequestFor(s *Server, id, password, port, branch, nonce, nc string, cseq int, expires string) string {
	a := authParams{username: id, realm: s.cfg.Realm, nonce: nonce, uri: "sip:34020000002000000001@3402000000", algorithm: "MD5"}
	if nc != "" {
		a.qop, a.nc, a.cnonce = "auth", nc, "abcdef"
	}
	resp := string(digestHex(nil, algMD5, &a, password, "REGISTER"))
	authz := `Digest username="` + id + `", realm="` + a.realm + `", nonce="` + nonce + `", uri="` + a.uri + `", response="` + resp + `", algorithm=MD5`
	if nc != "" {
		authz += `, qop=auth, nc=` + nc + `, cnonce="abcdef"`
	}
	return registerTextFor(id, port, branch, cseq, expires, "Authorization: "+authz+"\r\n")
}

func registerText(port, branch string, cseq int, expires, extra string) string {
	return registerTextFor(devID, port, branch, cseq, expires, extra)
}

// registerTextFor is registerText for any device.
func registerTextFor(id, port, branch string, cseq int, expires, extra string) string {
	return "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:" + port + ";rport;branch=z9hG4bK" + branch + "\r\n" +
		"From: <sip:" + id + "@3402000000>;tag=abc\r\n" +
		"To: <sip:" + id + "@3402000000>\r\n" +
		"Call-ID: raw-" + id + "@127.0.0.1\r\n" +
		"CSeq: " + strconv.Itoa(cseq) + " REGISTER\r\n" +
		"Contact: <sip:" + id + "@127.0.0.1:" + port + ">\r\n" +
		"Max-Forwards: 70\r\n" +
		"Expires: " + expires + "\r\n" + extra +
		"Content-Length: 0\r\n\r\n"
}

func TestNonceRules(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{NonceReuseWindow: 50 * time.Millisecond}, store)
	p := dialRaw(t, s, "udp")
	port := p.localPort()
	fresh := func() string { return challengeNonce(t, p.exchange(registerText(port, "c0", 1, "3600", ""))) }
	stale := func(res *sip.Response) bool {
		return res.StatusCode == 401 && strings.HasSuffix(header(res, "WWW-Authenticate"), ",stale=true")
	}

	t.Run("qop nc must grow", func(t *testing.T) {
		n := fresh()
		if res := p.exchange(authRequest(t, s, port, "q1", n, "00000001", 2, "3600")); res.StatusCode != 200 {
			t.Fatalf("nc=1: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "q1", n, "00000001", 2, "3600")); res.StatusCode != 200 {
			t.Fatalf("retransmission: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "q2", n, "00000001", 3, "3600")); !stale(res) {
			t.Fatalf("repeated nc: %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
		}
		if res := p.exchange(authRequest(t, s, port, "q3", n, "00000002", 4, "3600")); res.StatusCode != 200 {
			t.Fatalf("nc=2: %d", res.StatusCode)
		}
	})
	t.Run("no-qop reuse window", func(t *testing.T) {
		n := fresh()
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); res.StatusCode != 200 {
			t.Fatalf("first use: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); res.StatusCode != 200 {
			t.Fatalf("retransmission inside window: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "n2", n, "", 6, "3600")); !stale(res) {
			t.Fatalf("new request reusing the nonce: %d", res.StatusCode)
		}
		time.Sleep(80 * time.Millisecond)
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); !stale(res) {
			t.Fatalf("retransmission past window: %d", res.StatusCode)
		}
	})
	t.Run("expired genuine nonce is stale", func(t *testing.T) {
		old := string(s.nonces.mint(nil, devID, p.source(), time.Now().Add(-10*time.Minute)))
		if res := p.exchange(authRequest(t, s, port, "e1", old, "00000001", 8, "3600")); !stale(res) {
			t.Fatalf("expired: %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
		}
	})
	t.Run("nonce of another device or tampered", func(t *testing.T) {
		other := string(s.nonces.mint(nil, "34020000001320000099", p.source(), time.Now()))
		for _, n := range []string{other, strings.Repeat("0", nonceLen), "short"} {
			res := p.exchange(authRequest(t, s, port, "t1", n, "00000001", 9, "3600"))
			if res.StatusCode != 401 || stale(res) {
				t.Errorf("nonce %q: %d %q", n, res.StatusCode, header(res, "WWW-Authenticate"))
			}
		}
	})
	t.Run("unauthenticated short expires gets 401 first", func(t *testing.T) {
		res := p.exchange(registerText(port, "s1", 10, "10", ""))
		if res.StatusCode != 401 {
			t.Fatalf("%d", res.StatusCode)
		}
		res = p.exchange(authRequest(t, s, port, "s2", challengeNonce(t, res), "00000001", 11, "10"))
		if res.StatusCode != 423 || header(res, "Min-Expires") != "60" {
			t.Fatalf("%d Min-Expires %q", res.StatusCode, header(res, "Min-Expires"))
		}
	})
	t.Run("contact star unregisters", func(t *testing.T) {
		n := fresh()
		req := strings.Replace(authRequest(t, s, port, "u1", n, "00000001", 12, "0"), "Contact: <sip:"+devID+"@127.0.0.1:"+port+">", "Contact: *", 1)
		if res := p.exchange(req); res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, res.Reason)
		}
		if s.Device(devID).Binding != nil {
			t.Error("still bound")
		}
	})
}

// TestLenientSyntax covers what sipgo keeps untrimmed and devices write loosely.
func TestLenientSyntax(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{}, store)
	p := dialRaw(t, s, "udp")
	port := p.localPort()
	res := p.exchange(registerText(port, "l0", 1, "3600", ""))
	n := challengeNonce(t, res)
	req := authRequest(t, s, port, "l1", n, "00000001", 2, "3600")
	req = strings.Replace(req, "CSeq: 2 REGISTER", "CSeq: 2  REGISTER", 1)
	req = strings.Replace(req, ";rport;", "; rport;", 1)
	req = strings.Replace(req, "@127.0.0.1:"+port+">\r\n", "@127.0.0.1:"+port+">; expires=120\r\n", 1)
	req = strings.Replace(req, "algorithm=MD5", "algorithm=md5", 1)
	req = strings.Replace(req, "Authorization: Digest ", "Authorization: Digest  ", 1)
	res = p.exchange(req)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Reason)
	}
	if header(res, "Expires") != "120" {
		t.Errorf("Contact expires param not honoured: Expires %q", header(res, "Expires"))
	}
	if rp, _ := res.Via().Params.Get("rport"); rp != port {
		t.Errorf("rport %q", rp)
	}
	if got := res.CSeq().MethodName; got != sip.REGISTER {
		t.Errorf("CSeq method %q", got)
	}
}

func TestBadRequests(t *testing.T) {
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{MaxMessageSize: 4096}, store)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			p := dialRaw(t, s, tr)
			port := p.localPort()
			base := registerText(port, "b0", 1, "3600", "")
			if tr == "tcp" {
				base = strings.Replace(base, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
			}
			cases := []struct {
				name, msg string
				code      int
				reason    string
			}{
				{"missing Call-ID", strings.Replace(base, "Call-ID: raw-"+devID+"@127.0.0.1\r\n", "", 1), 400, "Missing Call-ID"},
				{"CSeq method mismatch", strings.Replace(base, "CSeq: 1 REGISTER", "CSeq: 1 INVITE", 1), 400, "CSeq Method Mismatch"},
				{"malformed Authorization", strings.Replace(base, "Max-Forwards", "Authorization: Digest username\r\nMax-Forwards", 1), 400, "Malformed Authorization"},
				{"malformed Expires", strings.Replace(base, "Expires: 3600", "Expires: soon", 1), 401, ""},
				{"unknown method", strings.Replace(strings.Replace(base, "REGISTER sip", "SUBSCRIBE sip", 1), "1 REGISTER", "1 SUBSCRIBE", 1), 405, ""},
				{"options", strings.Replace(strings.Replace(base, "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1), 200, ""},
				{"message without body", strings.Replace(strings.Replace(base, "REGISTER sip", "MESSAGE sip", 1), "1 REGISTER", "1 MESSAGE", 1), 400, "Missing MANSCDP Body"},
			}
			for _, c := range cases {
				res := p.exchange(c.msg)
				if res.StatusCode != c.code || !strings.Contains(res.Reason, c.reason) {
					t.Errorf("%s: %d %q, want %d %q", c.name, res.StatusCode, res.Reason, c.code, c.reason)
				}
			}
			if tr == "tcp" {
				big := strings.Replace(base, "Content-Length: 0", "X-Pad: "+strings.Repeat("a", 2000)+"\r\nX-Pad: "+strings.Repeat("b", 2000)+"\r\nContent-Length: 0", 1)
				if res := p.exchange(big); res.StatusCode != 413 {
					t.Errorf("oversized: %d", res.StatusCode)
				}
			}
		})
	}
}

func TestTCPKeepalivePing(t *testing.T) {
	s := startServer(t, Config{}, newMemStore())
	p := dialRaw(t, s, "tcp")
	p.send("\r\n\r\n")
	_ = p.tcp.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 2)
	if _, err := p.br.Read(b); err != nil || string(b) != "\r\n" {
		t.Fatalf("pong %q %v", b, err)
	}
}
