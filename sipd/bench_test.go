package sipd_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// BenchmarkRegisterAllocs handles full digest registrations (the unauthenticated
// REGISTER answered 401, then the authenticated one answered 200) without the network
// round trip: one op is one registration, two requests.
func BenchmarkRegisterAllocs(b *testing.B) {
	s := sipdtest.StartT(b, sipd.Config{}, sipdtest.OnePassword(devPW))
	src := sinkAddr(b)
	port := strconv.Itoa(int(src.Port()))
	first := []byte(registerText(port, "first", 1, "3600", ""))
	n := sipd.MintNonce(s, devID, "UDP", src, time.Now())
	reqs := make([][]byte, b.N)
	for i := range reqs {
		nc := strconv.FormatUint(uint64(i+1), 16)
		nc = "00000000"[len(nc):] + nc
		reqs[i] = []byte(authRequest(b, s, port, "auth"+strconv.Itoa(i), n, nc, i+2, "3600"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sipd.Handle(s, first, src)
		sipd.Handle(s, reqs[i], src)
	}
	b.StopTimer()
	if st := s.Device(devID); st.Binding == nil {
		b.Fatal("device not registered")
	}
}

// BenchmarkRegisterLoopback drives full digest registrations over loopback UDP from
// many concurrent devices and reports registrations per second. The devices are lean
// raw-socket clients (templated REGISTERs, MD5 by hand) so that the figure measures
// the registrar rather than the load generator, which still shares the CPU with it.
func BenchmarkRegisterLoopback(b *testing.B) {
	s := sipdtest.StartT(b, sipd.Config{}, sipdtest.OnePassword(devPW))
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s.UDPAddr()))
	const clients = 64
	var done atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	work := make(chan struct{}, clients)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		conn, err := net.DialUDP("udp", nil, server)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func(c int, conn *net.UDPConn) {
			defer wg.Done()
			defer conn.Close()
			cl := newBenchClient(c, conn)
			for range work {
				if err := cl.register(); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}(c, conn)
	}
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d registrations failed", f, b.N)
	}
	b.ReportMetric(float64(done.Load())/elapsed.Seconds(), "registrations/s")
}

type benchClient struct {
	id, port string
	conn     *net.UDPConn
	buf      []byte
	out      []byte
	cseq     int
	branch   int
}

func newBenchClient(n int, conn *net.UDPConn) *benchClient {
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	id := "3402000000132" + strconv.Itoa(1000000+n)
	return &benchClient{id: id, port: port, conn: conn, buf: make([]byte, 4096)}
}

func (c *benchClient) request(authz []byte) []byte {
	c.cseq++
	c.branch++
	o := c.out[:0]
	o = append(o, "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:"...)
	o = append(o, c.port...)
	o = append(o, ";rport;branch=z9hG4bK"...)
	o = strconv.AppendInt(o, int64(c.branch), 10)
	o = append(o, "\r\nFrom: <sip:"...)
	o = append(o, c.id...)
	o = append(o, "@3402000000>;tag=b1\r\nTo: <sip:"...)
	o = append(o, c.id...)
	o = append(o, "@3402000000>\r\nCall-ID: bench-"...)
	o = append(o, c.id...)
	o = append(o, "\r\nCSeq: "...)
	o = strconv.AppendInt(o, int64(c.cseq), 10)
	o = append(o, " REGISTER\r\nContact: <sip:"...)
	o = append(o, c.id...)
	o = append(o, "@127.0.0.1:"...)
	o = append(o, c.port...)
	o = append(o, ">\r\nMax-Forwards: 70\r\nUser-Agent: bench\r\nExpires: 3600\r\n"...)
	o = append(o, authz...)
	o = append(o, "Content-Length: 0\r\n\r\n"...)
	c.out = o
	return o
}

func (c *benchClient) exchange(msg []byte) ([]byte, error) {
	_ = c.conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.conn.Write(msg); err != nil {
		return nil, err
	}
	n, err := c.conn.Read(c.buf)
	return c.buf[:n], err
}

var (
	benchURI = []byte("sip:34020000002000000001@3402000000")
	ha2      = func() string {
		s := md5.Sum([]byte("REGISTER:sip:34020000002000000001@3402000000"))
		return hex.EncodeToString(s[:])
	}()
)

func (c *benchClient) register() error {
	res, err := c.exchange(c.request(nil))
	if err != nil {
		return err
	}
	i := bytes.Index(res, []byte(`nonce="`))
	if !bytes.HasPrefix(res, []byte("SIP/2.0 401")) || i < 0 {
		return errBench(res)
	}
	nonce := res[i+7 : i+7+bytes.IndexByte(res[i+7:], '"')]
	ha1 := md5.Sum([]byte(c.id + ":3402000000:" + devPW))
	var in []byte
	in = hex.AppendEncode(in, ha1[:])
	in = append(in, ':')
	in = append(in, nonce...)
	in = append(in, ":00000001:c0ffee:auth:"...)
	in = append(in, ha2...)
	sum := md5.Sum(in)
	var authz []byte
	authz = append(authz, `Authorization: Digest username="`...)
	authz = append(authz, c.id...)
	authz = append(authz, `",realm="3402000000",nonce="`...)
	authz = append(authz, nonce...)
	authz = append(authz, `",uri="`...)
	authz = append(authz, benchURI...)
	authz = append(authz, `",response="`...)
	authz = hex.AppendEncode(authz, sum[:])
	authz = append(authz, "\",algorithm=MD5,qop=auth,nc=00000001,cnonce=\"c0ffee\"\r\n"...)
	res, err = c.exchange(c.request(authz))
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(res, []byte("SIP/2.0 200")) {
		return errBench(res)
	}
	return nil
}

type errBench []byte

func (e errBench) Error() string { return "unexpected answer: " + string(e) }
