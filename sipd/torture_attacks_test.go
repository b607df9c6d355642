package sipd_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The attacks the registrar was found open to, replayed over loopback sockets from
// several "hosts" (127.0.0.1, .2, .3). Each test states the bound the registrar keeps
// and logs the figure it measured.

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	// Twice: objects in sync.Pools survive one collection (the victim cache), and a
	// previous test's would otherwise be freed during the measurement.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// totalAllocated is the number of bytes ever allocated by the process.
func totalAllocated() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.TotalAlloc)
}

// TestReplayedRegisterFromAnotherHostDoesNotMoveBinding: a captured, authorized
// REGISTER replayed unchanged from another address gets a 401, the binding stays
// where the device is, and the device's keepalives keep their 200. A retransmission
// from the device itself is still accepted.
func TestReplayedRegisterFromAnotherHostDoesNotMoveBinding(t *testing.T) {
	for _, c := range []struct{ name, nc string }{{"qop", "00000001"}, {"no qop", ""}} {
		t.Run(c.name, func(t *testing.T) {
			s, dev, reg, _ := capturedRegistration(t, c.nc)
			registered := s.Device(devID).Binding.RemoteAddr
			if res := dev.exchange(reg); res.StatusCode != 200 {
				t.Fatalf("retransmission from the device: %d %s", res.StatusCode, res.Reason)
			}

			attacker := dialRawFrom(t, s, "udp", "127.0.0.2")
			res := attacker.exchange(reg)
			b := s.Device(devID).Binding
			moved := b == nil || b.RemoteAddr != registered
			t.Logf("replay from 127.0.0.2: %d %s; binding moved: %v", res.StatusCode, res.Reason, moved)
			if res.StatusCode != 401 {
				t.Errorf("replay answered %d %s, want 401", res.StatusCode, res.Reason)
			}
			if moved {
				t.Errorf("binding moved from %s", registered)
			}
			if res := dev.exchange(keepaliveText(t, "k1", 3)); res.StatusCode != 200 {
				t.Errorf("device's keepalive after the replay: %d %s", res.StatusCode, res.Reason)
			}
		})
	}
}

// capturedRegistration registers devID at a new registrar from a raw peer (with qop
// when nc is set) and returns the registrar, the peer, the authenticated REGISTER as an
// attacker would capture it, and its 200.
func capturedRegistration(t *testing.T, nc string) (*sipd.Server, *rawPeer, string, *sip.Response) {
	t.Helper()
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	dev := dialRawFrom(t, s, "udp", "127.0.0.1")
	port := dev.localPort()
	nonce := challengeNonce(t, dev.exchange(registerText(port, "r0", 1, "3600", "")))
	reg := authRequest(t, s, port, "r1", nonce, nc, 2, "3600")
	res := dev.exchange(reg)
	if res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, res.Reason)
	}
	return s, dev, reg, res
}

// registerRaw registers id with password from p (challenge, then qop digest) and
// returns the final answer.
func registerRaw(t testing.TB, s *sipd.Server, p *rawPeer, id, password string, cseq int) *sip.Response {
	t.Helper()
	port := p.localPort()
	branch := "b" + strconv.Itoa(cseq)
	res := p.exchange(registerTextFor(id, port, branch, cseq, "3600", ""))
	if res.StatusCode != 401 {
		return res
	}
	return p.exchange(authRequestFor(s, id, password, port, branch+"a", challengeNonce(t, res), "00000001", cseq+1, "3600"))
}

// TestWrongPasswordLocksOutOnlyThatDeviceAtThatAddress: a device guessing wrong from
// one address locks out only itself there; the good devices behind the same address,
// and a device attacked with forged failures from another address, all register.
func TestWrongPasswordLocksOutOnlyThatDeviceAtThatAddress(t *testing.T) {
	const maxFailures, goodDevices = 3, 20
	bad := "34020000001320000900"
	store := sipdtest.NewStore(nil)
	store.SetPassword(bad, devPW)
	good := make([]string, goodDevices)
	for i := range good {
		good[i] = fmt.Sprintf("340200000013200%05d", i+1)
		store.SetPassword(good[i], devPW)
	}
	s := sipdtest.StartT(t, sipd.Config{MaxAuthFailures: maxFailures}, store)

	nat := dialRawFrom(t, s, "udp", "127.0.0.1")
	for i := 0; i < 2*maxFailures; i++ {
		registerRaw(t, s, nat, bad, "wrong", 10*i+1)
	}
	if res := registerRaw(t, s, nat, bad, devPW, 100); res.StatusCode != 403 {
		t.Errorf("guesser after %d failures: %d %s, want 403: guessing must cost a cool-down", 2*maxFailures, res.StatusCode, res.Reason)
	}
	// Forged failures for good[0] from another host.
	spoofer := dialRawFrom(t, s, "udp", "127.0.0.3")
	for i := 0; i < 2*maxFailures; i++ {
		registerRaw(t, s, spoofer, good[0], "wrong", 10*i+1)
	}

	ctx := testCtx(t)
	refused := 0
	for _, id := range good {
		d := device(t, s, "udp", id, devPW)
		res, err := d.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			refused++
			t.Logf("%s: %d %s", id, res.StatusCode, res.Reason)
		}
	}
	t.Logf("good REGISTERs refused behind the guesser's address: %d of %d", refused, goodDevices)
	if refused != 0 {
		t.Errorf("%d of %d good devices refused", refused, goodDevices)
	}
}

// TestCatalogPartsHoldBoundedMemory: while a Catalog query waits, a device sending
// 1,000 parts with distinct 60 KB Call-IDs, or with 30 KB items, makes the registrar
// hold no more than a few megabytes.
func TestCatalogPartsHoldBoundedMemory(t *testing.T) {
	const parts, maxHeldBytes = 1000, 16 << 20
	cases := []struct {
		name                 string
		cfg                  sipd.Config
		callIDSize, nameSize int
	}{
		{"empty parts with 60 KB Call-IDs", sipd.Config{}, 60000, 0},
		{"parts of one 30 KB item", sipd.Config{MaxCatalogBytes: 4 << 20}, 10, 30000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, p := tortureServerWith(t, c.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := s.QueryCatalog(ctx, sipd.DeviceRef{ID: devID}); done <- err }()

			query := readRequest(t, p)
			q, err := manscdp.Decode(query.Body(), "")
			if err != nil {
				t.Fatal(err)
			}
			p.send(sip.NewResponseFromRequest(query, 200, "OK", nil).String())
			before := heapInUse()
			pad := strings.Repeat("c", c.callIDSize)
			for i := 0; i < parts; i++ {
				var items []manscdp.CatalogItem
				if c.nameSize > 0 {
					items = []manscdp.CatalogItem{{DeviceID: fmt.Sprintf("340200000013100%05d", i), Name: strings.Repeat("n", c.nameSize) + strconv.Itoa(i)}}
				}
				body, err := manscdp.EncodeCatalogResponse(q.SN, devID, 1<<20, items, "UTF-8")
				if err != nil {
					t.Fatal(err)
				}
				res := p.exchange(messageText(devID, "p"+strconv.Itoa(i), i+1, strconv.Itoa(i)+pad, string(body), len(body)))
				if res.StatusCode != 200 {
					t.Fatalf("part %d: %d %s", i, res.StatusCode, res.Reason)
				}
			}
			held := heapInUse() - before
			cancel()
			if err := <-done; err == nil {
				t.Error("a catalog of 1<<20 announced items ended without error after a few parts")
			}
			t.Logf("heap held by %d catalog parts (%d-byte Call-IDs, %d-byte item names): %d bytes", parts, c.callIDSize, c.nameSize, held)
			if held > maxHeldBytes {
				t.Errorf("catalog parts hold %d bytes, bound %d", held, maxHeldBytes)
			}
		})
	}
}

// TestMessageFromStrangerIsRefusedBeforeDecoding: a 60 KB MESSAGE of 15,000 XML
// elements from a sender without a binding gets its 404 for about the cost of parsing
// the SIP message, not of decoding the XML.
func TestMessageFromStrangerIsRefusedBeforeDecoding(t *testing.T) {
	const messages, elements, maxBytesPerMessage = 20, 15000, 512 << 10
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	stranger := dialRaw(t, s, "udp")
	body := "<?xml version=\"1.0\"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>" + devID +
		"</DeviceID><Pad>" + strings.Repeat("<a/>", elements) + "</Pad></Notify>"
	msg := messageText(devID, "s", 1, "stranger@127.0.0.1", body, len(body))

	before, start := totalAllocated(), time.Now()
	for i := 0; i < messages; i++ {
		if res := stranger.exchange(msg); res.StatusCode != 404 {
			t.Fatalf("stranger's MESSAGE: %d %s, want 404", res.StatusCode, res.Reason)
		}
	}
	perMessage := (totalAllocated() - before) / messages
	// The time is logged for the record only: wall-clock figures are not asserted.
	t.Logf("allocated per %d-byte MESSAGE of %d elements before its 404: %d bytes (round trip %v)", len(body), elements, perMessage, time.Since(start)/messages)
	if perMessage > maxBytesPerMessage {
		t.Errorf("%d bytes allocated per refused MESSAGE, bound %d", perMessage, maxBytesPerMessage)
	}
}

// TestTCPOneHostCannotTakeEveryConnection: a host opening more connections than the
// per-address cap holds only the cap, and another host still gets served.
func TestTCPOneHostCannotTakeEveryConnection(t *testing.T) {
	const attempts, maxConns, perAddrDefault = 100, 100, 64
	s := sipdtest.StartT(t, sipd.Config{MaxTCPConns: maxConns}, sipdtest.NewStore(nil))
	options := strings.Replace(strings.Replace(registerText("5060", "o1", 1, "3600", ""), "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1)
	options = strings.Replace(options, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
	goroutines := runtime.NumGoroutine()
	held := 0
	for i := 0; i < attempts; i++ {
		c := dialRawFrom(t, s, "tcp", "127.0.0.2")
		// The answer (or the close) shows the registrar has decided on the connection.
		_ = c.tcp.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.tcp.Write([]byte(options)); err != nil {
			continue
		}
		_ = c.tcp.SetReadDeadline(time.Now().Add(3 * time.Second))
		if line, err := c.br.ReadString('\n'); err == nil && strings.HasPrefix(line, "SIP/2.0 200") {
			held++
		}
	}
	grown := runtime.NumGoroutine() - goroutines
	t.Logf("connections one host holds: %d of %d attempted (goroutines +%d)", held, attempts, grown)
	if held > perAddrDefault {
		t.Errorf("one host holds %d connections, cap %d", held, perAddrDefault)
	}
	if grown > perAddrDefault+16 {
		t.Errorf("goroutines grew by %d for %d held connections", grown, held)
	}
	other := dialRawFrom(t, s, "tcp", "127.0.0.3")
	if res := other.exchange(options); res.StatusCode != 200 {
		t.Errorf("another host: %d", res.StatusCode)
	}
}

// TestTCPConnectionReleasesLargeMessageBuffer: after one large message, an idle
// connection no longer holds a buffer of that size.
func TestTCPConnectionReleasesLargeMessageBuffer(t *testing.T) {
	const conns, padding, maxHeldPerConn = 50, 60000, 24 << 10
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	options := strings.Replace(strings.Replace(registerText("5060", "o1", 1, "3600", ""), "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1)
	// Lines of 1 KB: a header line must fit the connection's 4 KB read buffer.
	large := strings.Replace(options, "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\n"+strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", padding/1000), 1)
	before := heapInUse()
	peers := make([]*rawPeer, conns)
	for i := range peers {
		peers[i] = dialRawFrom(t, s, "tcp", "127.0.0."+strconv.Itoa(10+i%4))
		if res := peers[i].exchange(large); res.StatusCode != 200 {
			t.Fatalf("large OPTIONS: %d", res.StatusCode)
		}
	}
	perConn := (heapInUse() - before) / conns
	t.Logf("heap per idle connection after a %d-byte message: %d bytes", len(large), perConn)
	if perConn > maxHeldPerConn {
		t.Errorf("%d bytes held per idle connection, bound %d", perConn, maxHeldPerConn)
	}
	runtime.KeepAlive(peers)
}

// TestTCPPingsKeepConnectionOpen: RFC 5626 CRLF pings extend the idle deadline.
func TestTCPPingsKeepConnectionOpen(t *testing.T) {
	const idle = 600 * time.Millisecond
	s := sipdtest.StartT(t, sipd.Config{TCPIdleTimeout: idle}, sipdtest.NewStore(nil))
	p := dialRaw(t, s, "tcp")
	pong := make([]byte, 2)
	for end := time.Now().Add(3 * idle); time.Now().Before(end); {
		time.Sleep(idle / 4)
		if _, err := p.tcp.Write([]byte("\r\n\r\n")); err != nil {
			t.Fatalf("ping: %v", err)
		}
		_ = p.tcp.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := p.br.Read(pong); err != nil {
			t.Fatalf("connection closed while pinging: %v", err)
		}
	}
	options := strings.Replace(strings.Replace(registerText(p.localPort(), "o1", 1, "3600", ""), "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1)
	if res := p.exchange(strings.Replace(options, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)); res.StatusCode != 200 {
		t.Errorf("OPTIONS after pings: %d", res.StatusCode)
	}
}

// TestBodyLongerThanContentLength: a device counting the characters of its body, not
// the bytes, is understood over UDP, where the datagram bounds the message; over TCP
// Content-Length stays the framing.
func TestBodyLongerThanContentLength(t *testing.T) {
	body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Notify><CmdType>Keepalive</CmdType><SN>7</SN><DeviceID>" + devID +
		"</DeviceID><Status>OK</Status><Info>设备运行正常</Info></Notify>"
	chars := utf8.RuneCountInString(body)
	for _, c := range []struct {
		transport string
		want      int
	}{{"udp", 200}, {"tcp", 400}} {
		t.Run(c.transport, func(t *testing.T) {
			s, udp := tortureServer(t)
			p := udp
			if c.transport == "tcp" {
				p = dialRaw(t, s, "tcp")
			}
			msg := messageText(devID, "cl"+c.transport, 7, "cl@127.0.0.1", body, chars)
			if c.transport == "tcp" {
				msg = strings.Replace(msg, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
			}
			res := p.exchange(msg)
			t.Logf("%s, Content-Length %d for %d bytes: %d %s", c.transport, chars, len(body), res.StatusCode, res.Reason)
			if res.StatusCode != c.want {
				t.Errorf("%d %s, want %d", res.StatusCode, res.Reason, c.want)
			}
		})
	}
}

// TestForgedKeepaliveFromNewPortDoesNotMoveBinding: a keepalive from the device's IP on
// another port (a neighbour behind the same NAT, or a spoofer) while the device keeps
// alive at its own port is answered 404 and moves nothing: the next query still goes to
// the device, and the forger never sees it.
func TestForgedKeepaliveFromNewPortDoesNotMoveBinding(t *testing.T) {
	s, dev := tortureServer(t)
	registered := s.Device(devID).Binding.RemoteAddr
	if res := dev.exchange(keepaliveText(t, "own1", 1)); res.StatusCode != 200 {
		t.Fatalf("device's own keepalive: %d %s", res.StatusCode, res.Reason)
	}
	forger := dialRawFrom(t, s, "udp", "127.0.0.1")
	res := forger.exchange(keepaliveText(t, "forged1", 2))
	t.Logf("keepalive from %s while the device is at %s: %d %s", forger.udp.LocalAddr(), registered, res.StatusCode, res.Reason)
	if res.StatusCode != 404 {
		t.Errorf("forged keepalive answered %d %s, want 404", res.StatusCode, res.Reason)
	}
	if got := s.Device(devID).Binding.RemoteAddr; got != registered {
		t.Fatalf("binding moved to %s", got)
	}
	queryReaches(t, s, dev)
}

// TestNATRebindingRecovers: after a NAT gives the device a new port, its first keepalive
// from there gets 404, it registers again from the new port, and the binding, the
// keepalives and the queries follow: one keepalive and one registration round.
func TestNATRebindingRecovers(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	before := dialRawFrom(t, s, "udp", "127.0.0.1")
	if res := registerRaw(t, s, before, devID, devPW, 1); res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, res.Reason)
	}
	after := dialRawFrom(t, s, "udp", "127.0.0.1")
	if res := after.exchange(keepaliveText(t, "nat1", 10)); res.StatusCode != 404 {
		t.Fatalf("first keepalive from the new port: %d %s, want 404 (register again)", res.StatusCode, res.Reason)
	}
	if res := registerRaw(t, s, after, devID, devPW, 20); res.StatusCode != 200 {
		t.Fatalf("registration from the new port: %d %s", res.StatusCode, res.Reason)
	}
	if got, want := s.Device(devID).Binding.RemoteAddr, after.udp.LocalAddr().String(); got != want {
		t.Errorf("binding at %s, want %s", got, want)
	}
	if res := after.exchange(keepaliveText(t, "nat2", 30)); res.StatusCode != 200 {
		t.Errorf("keepalive from the new port after registering: %d %s", res.StatusCode, res.Reason)
	}
	queryReaches(t, s, after)
}

// queryReaches checks that a query of devID goes to p.
func queryReaches(t *testing.T, s *sipd.Server, p *rawPeer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { _, _ = s.QueryDeviceInfo(ctx, sipd.DeviceRef{ID: devID}) }()
	if query := readRequest(t, p); query.Method != sip.MESSAGE {
		t.Errorf("%s received %s, want the query MESSAGE", p.udp.LocalAddr(), query.Method)
	}
}

// TestKeepaliveFollowsDeviceGoneFromOldPort: a device whose old port has been silent for
// its whole keepalive timeout has evidently moved; its keepalive from a new port of the
// same IP moves the binding without a registration round. Before that timeout it does
// not.
func TestKeepaliveFollowsDeviceGoneFromOldPort(t *testing.T) {
	start := time.Now()
	clock := testutil.NewClock(start)
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{Now: clock.Now, KeepaliveInterval: time.Minute}, store)
	old := dialRawFrom(t, s, "udp", "127.0.0.1")
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: old.udp.LocalAddr().String(),
		RegisteredAt: start, ExpiresAt: start.Add(time.Hour), Expires: time.Hour}})
	moved := dialRawFrom(t, s, "udp", "127.0.0.1")

	clock.Advance(2 * time.Minute) // two missed keepalives: not yet gone
	if res := moved.exchange(keepaliveText(t, "m1", 1)); res.StatusCode != 404 {
		t.Errorf("keepalive from a new port, old port silent 2m of a 3m timeout: %d %s, want 404", res.StatusCode, res.Reason)
	}
	clock.Advance(time.Minute + time.Second)
	if res := moved.exchange(keepaliveText(t, "m2", 2)); res.StatusCode != 200 {
		t.Errorf("keepalive from a new port, old port silent past the timeout: %d %s, want 200", res.StatusCode, res.Reason)
	}
	if got, want := s.Device(devID).Binding.RemoteAddr, moved.udp.LocalAddr().String(); got != want {
		t.Errorf("binding at %s, want %s", got, want)
	}
	// The silence watch's timeout, when the controllers set one, is the device's own.
	if !s.WatchSilence(devID, start, clock.Now().Add(time.Hour), 10*time.Minute) {
		t.Fatal("watch not installed")
	}
	clock.Advance(5 * time.Minute)
	if res := old.exchange(keepaliveText(t, "o1", 3)); res.StatusCode != 404 {
		t.Errorf("keepalive from the old port 5m into a 10m timeout: %d %s, want 404", res.StatusCode, res.Reason)
	}
}

// TestForgedFailuresDoNotLockOutDevice: REGISTERs naming a device, from its IP on
// another port, with a made-up user name and nonce, are challenged and counted nowhere;
// a neighbour behind the same NAT failing with real nonces of its own port does not hold
// back the device refreshing from where it is registered. The device's own REGISTERs
// keep their 200.
func TestForgedFailuresDoNotLockOutDevice(t *testing.T) {
	const maxFailures = 5
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{MaxAuthFailures: maxFailures}, store)
	dev := dialRawFrom(t, s, "udp", "127.0.0.1")
	if res := registerRaw(t, s, dev, devID, devPW, 1); res.StatusCode != 200 {
		t.Fatalf("register: %d %s", res.StatusCode, res.Reason)
	}

	spoofer := dialRawFrom(t, s, "udp", "127.0.0.1")
	made := strings.Repeat("ab", sipd.NonceLen/2)
	for i := range 2 * maxFailures {
		req := authRequestFor(s, "admin", "guess", spoofer.localPort(), "f"+strconv.Itoa(i), made, "", 100+i, "3600")
		req = strings.Replace(req, "sip:admin@", "sip:"+devID+"@", 2) // From and To name the device
		res := spoofer.exchange(req)
		if res.StatusCode != 401 {
			t.Fatalf("forged REGISTER %d: %d %s, want 401 (a challenge, counted nowhere)", i, res.StatusCode, res.Reason)
		}
	}
	if res := registerRaw(t, s, dev, devID, devPW, 200); res.StatusCode != 200 {
		t.Fatalf("device after %d forged REGISTERs: %d %s, want 200", 2*maxFailures, res.StatusCode, res.Reason)
	}

	// A neighbour that receives its own challenges fails for real: that port is held
	// back, the device at its registered port is not.
	neighbour := dialRawFrom(t, s, "udp", "127.0.0.1")
	for i := range maxFailures {
		registerRaw(t, s, neighbour, devID, "guess", 300+10*i)
	}
	if res := registerRaw(t, s, neighbour, devID, "guess", 400); res.StatusCode != 403 || !strings.Contains(res.Reason, "Too Many") {
		t.Errorf("neighbour after %d failures: %d %s, want 403 Too Many Failures", maxFailures, res.StatusCode, res.Reason)
	}
	if res := registerRaw(t, s, dev, devID, devPW, 500); res.StatusCode != 200 {
		t.Errorf("device refreshing from its registered port after the neighbour's failures: %d %s, want 200", res.StatusCode, res.Reason)
	}
}

// TestRetransmissionIsTheSameRequest: a captured REGISTER altered to Expires: 0 and
// sent again from the device's address within the retransmission window is not a
// retransmission: it gets a stale 401 and the device stays registered. A true
// retransmission is answered as the original was, and applied once only: sent after the
// device has since unregistered, it does not register it again.
func TestRetransmissionIsTheSameRequest(t *testing.T) {
	for _, c := range []struct{ name, nc string }{{"qop", "00000001"}, {"no qop", ""}} {
		t.Run(c.name, func(t *testing.T) {
			s, dev, reg, first := capturedRegistration(t, c.nc)
			port := dev.localPort()

			altered := strings.Replace(reg, "Expires: 3600", "Expires: 0", 1)
			res := dev.exchange(altered)
			t.Logf("captured REGISTER with Expires: 0, resent from the device's address: %d %s", res.StatusCode, res.Reason)
			if res.StatusCode != 401 {
				t.Errorf("altered copy answered %d %s, want 401", res.StatusCode, res.Reason)
			}
			if s.Device(devID).Binding == nil {
				t.Fatal("the altered copy unregistered the device")
			}

			again := dev.exchange(reg)
			if again.StatusCode != 200 || header(again, "Date") != header(first, "Date") || header(again, "Expires") != header(first, "Expires") {
				t.Errorf("retransmission answered %d Date %q Expires %q, want the original's 200 Date %q Expires %q",
					again.StatusCode, header(again, "Date"), header(again, "Expires"), header(first, "Date"), header(first, "Expires"))
			}

			n2 := challengeNonce(t, dev.exchange(registerText(port, "u0", 3, "0", "")))
			if res := dev.exchange(authRequest(t, s, port, "u1", n2, c.nc, 4, "0")); res.StatusCode != 200 {
				t.Fatalf("unregister: %d %s", res.StatusCode, res.Reason)
			}
			if res := dev.exchange(reg); res.StatusCode != 200 {
				t.Errorf("late retransmission of the registration: %d %s, want the original's 200", res.StatusCode, res.Reason)
			}
			if b := s.Device(devID).Binding; b != nil {
				t.Errorf("a retransmission of the old registration registered the device again: %+v", b)
			}
		})
	}
}
