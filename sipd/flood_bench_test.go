package sipd_test

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// BenchmarkKeepalivesUnderFlood: 1,000 registered devices keep alive, each once per
// round (a round a second, as a fleet keeping alive every 60 s would with 60,000
// devices), while one source floods the registrar with unauthenticated REGISTERs as fast
// as two goroutines can send them. It reports the share of keepalives answered 200
// within a second, without retransmission (goal: at least 99 %), and the flood's
// REGISTERs the registrar answered per second. Run it with -benchtime=10x (ten rounds).
func BenchmarkKeepalivesUnderFlood(b *testing.B) {
	const devices = 1000
	reg := prometheus.NewRegistry()
	s := sipdtest.StartT(b, sipd.Config{Registerer: reg}, devStore())
	// REGISTERs answered so far, whatever the answer.
	registrations := func() float64 { return metricValue(b, reg, "sipd_registrations_total", nil) }
	conns := registeredSockets(b, s, devices)

	// The flooder is a process of its own, one thread sending as fast as it can, as an
	// attacker on another host would be: in this process it would be scheduled with the
	// registrar's goroutines rather than beside them.
	flooder := exec.Command(os.Args[0], "-test.run=^$")
	flooder.Env = append(os.Environ(), floodTargetEnv+"="+s.UDPAddr(), "GOMAXPROCS=1")
	if err := flooder.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = flooder.Process.Kill(); _ = flooder.Wait() })
	floodedBefore := registrations()
	var sent, answered atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for round := 0; round < b.N; round++ {
		roundStart := time.Now()
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Spread over the round, as a fleet's keepalives are.
				time.Sleep(time.Duration(i) * time.Second / devices)
				sent.Add(1)
				if keepaliveAnswered(c, floodDeviceID(i), round*devices+i) {
					answered.Add(1)
				}
			}()
		}
		wg.Wait()
		time.Sleep(time.Until(roundStart.Add(time.Second)))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	flooded := registrations() - floodedBefore
	b.ReportMetric(100*float64(answered.Load())/float64(sent.Load()), "%answered")
	b.ReportMetric(float64(flooded)/elapsed.Seconds(), "flood-answered/s")
}

// registeredSockets opens n UDP sockets to s, device floodDeviceID(i) registered from
// the i-th (seeded, as the operator seeds its registrar), closed when b ends.
func registeredSockets(b *testing.B, s *sipd.Server, n int) []*net.UDPConn {
	server := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s.UDPAddr()))
	conns := make([]*net.UDPConn, n)
	var seeds []sipd.Binding
	now := time.Now()
	for i := range conns {
		c, err := net.DialUDP("udp", nil, server)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		conns[i] = c
		seeds = append(seeds, sipd.Binding{DeviceID: floodDeviceID(i), Transport: "UDP", RemoteAddr: c.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour})
	}
	s.Seed(seeds)
	return conns
}

func floodDeviceID(i int) string { return "340200000013201" + strconv.Itoa(10000+i) }

// keepaliveAnswered sends one keepalive of id on c and reports whether a 200 came back
// within a second.
func keepaliveAnswered(c *net.UDPConn, id string, sn int) bool {
	body := `<?xml version="1.0" encoding="GB2312"?>` + "\r\n<Notify><CmdType>Keepalive</CmdType><SN>" + strconv.Itoa(sn) + "</SN><DeviceID>" + id + "</DeviceID><Status>OK</Status></Notify>\r\n"
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	msg := "MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:" + port + ";rport;branch=z9hG4bKka" + strconv.Itoa(sn) + "\r\n" +
		"From: <sip:" + id + "@3402000000>;tag=k\r\nTo: <sip:34020000002000000001@3402000000>\r\n" +
		"Call-ID: ka-" + strconv.Itoa(sn) + "\r\nCSeq: " + strconv.Itoa(sn+1) + " MESSAGE\r\nContent-Type: Application/MANSCDP+xml\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if _, err := c.Write([]byte(msg)); err != nil {
		return false
	}
	buf := make([]byte, 2048)
	deadline := time.Now().Add(time.Second)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			return false
		}
		if bytes.Contains(buf[:n], []byte("CSeq: "+strconv.Itoa(sn+1)+" MESSAGE")) {
			return bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200"))
		}
	}
}

// floodTargetEnv, set, makes the test binary a flooder of the registrar at that address
// (see TestMain).
const floodTargetEnv = "SIPD_FLOOD_TARGET"

// flood sends unauthenticated REGISTERs to target from one socket as fast as it can,
// until the process is killed.
func flood(target string) {
	c, err := net.Dial("udp", target)
	if err != nil {
		os.Exit(2)
	}
	port := strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
	for i := 0; ; i++ {
		_, _ = c.Write([]byte(registerText(port, "fl"+strconv.Itoa(i), i+1, "3600", "")))
	}
}
