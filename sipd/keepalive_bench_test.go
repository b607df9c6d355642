package sipd_test

import (
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// BenchmarkKeepaliveLoopback: registered devices keep alive over loopback UDP, 64 in
// flight, as fast as the registrar answers. It reports keepalives per second and the
// bytes and allocations of the whole process per keepalive: the registrar's, and under
// one small one of the client (the device ID's digits), which builds its messages and
// reads the answers in buffers of its own. What a keepalive allocates is what the garbage
// collector pays for, twice as often at the operator's GOGC of 50 as at Go's default
// (docs/scaling.md, "Keepalives at the operator's GOGC").
func BenchmarkKeepaliveLoopback(b *testing.B) {
	const clients = 64
	s := sipdtest.StartT(b, sipd.Config{}, devStore())
	conns := registeredSockets(b, s, clients)
	var before, after runtime.MemStats
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var wg sync.WaitGroup
	var answered200 [clients]int
	for i, c := range conns {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Go(func() {
			buf, msg := make([]byte, 2048), make([]byte, 0, 2048)
			for k := range n {
				// Each keepalive is a new one: a retransmission would be answered
				// from the replay cache, not handled.
				msg = appendKeepalive(msg[:0], c, floodDeviceID(i), i*b.N+k)
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				m, err := c.Read(buf)
				if err != nil {
					continue // lost: the next one goes on
				}
				if m > 12 && string(buf[:12]) == "SIP/2.0 200 " {
					answered200[i]++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	b.StopTimer()
	total := 0
	for _, n := range answered200 {
		total += n
	}
	if total < b.N*9/10 {
		b.Fatalf("%d of %d keepalives answered 200", total, b.N)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "keepalives/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "B/keepalive")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/keepalive")
}

// appendKeepalive appends to dst a keepalive of id with sequence number sn, sent on c.
func appendKeepalive(dst []byte, c *net.UDPConn, id string, sn int) []byte {
	port := c.LocalAddr().(*net.UDPAddr).Port
	var body [256]byte
	b := append(body[:0], `<?xml version="1.0" encoding="GB2312"?>`+"\r\n<Notify><CmdType>Keepalive</CmdType><SN>"...)
	b = strconv.AppendInt(b, int64(sn), 10)
	b = append(b, "</SN><DeviceID>"...)
	b = append(b, id...)
	b = append(b, "</DeviceID><Status>OK</Status></Notify>\r\n"...)
	dst = append(dst, "MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:"...)
	dst = strconv.AppendInt(dst, int64(port), 10)
	dst = append(dst, ";rport;branch=z9hG4bKka"...)
	dst = strconv.AppendInt(dst, int64(sn), 10)
	dst = append(dst, "\r\nFrom: <sip:"...)
	dst = append(dst, id...)
	dst = append(dst, "@3402000000>;tag=k\r\nTo: <sip:34020000002000000001@3402000000>\r\nCall-ID: ka-"...)
	dst = strconv.AppendInt(dst, int64(sn), 10)
	dst = append(dst, "\r\nCSeq: "...)
	dst = strconv.AppendInt(dst, int64(sn+1), 10)
	dst = append(dst, " MESSAGE\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, b...)
}
