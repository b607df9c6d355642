package testutil

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Free loopback ports for the processes a test starts (an operator, a container), which
// bind them seconds later. A port the kernel hands out for port 0 is a poor choice: it
// can hand the same one to the next bind of port 0 as soon as the probe closes it, to the
// API server, to etcd, or to this function again, and two addresses drawn for one
// operator (its SIP and metrics listeners) once came out equal, so it exited before it
// was ready. So ports are drawn at random below the kernel's ephemeral range when there
// is room, and never twice in one test process.

// minDrawnPort is the lowest port drawn: well above the ports services listen on by
// convention.
const minDrawnPort = 20000

// handedOut holds the ports returned so far by this process.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreeSIPAddr returns a loopback address whose port is free over both UDP and TCP, for a
// registrar that listens on both.
func FreeSIPAddr(t testing.TB) string {
	t.Helper()
	return freeLoopbackAddr(t, true)
}

// FreeTCPAddr returns a free loopback TCP address.
func FreeTCPAddr(t testing.TB) string {
	t.Helper()
	return freeLoopbackAddr(t, false)
}

// freeLoopbackAddr returns a loopback address whose port is free over TCP, and over UDP
// too when udp is set, and that no earlier call returned.
func freeLoopbackAddr(t testing.TB, udp bool) string {
	t.Helper()
	low := ephemeralLow()
	for range 200 {
		port := 0
		if low > minDrawnPort+1000 {
			port = minDrawnPort + rand.IntN(low-minDrawnPort)
		}
		if addr, ok := tryPort(port, udp); ok {
			return addr
		}
	}
	t.Fatal("no free loopback port")
	return ""
}

// tryPort probes port (0: one the kernel picks) and claims it when it is free and was
// not handed out before.
func tryPort(port int, udp bool) (string, bool) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return "", false
	}
	defer l.Close()
	addr := l.Addr().(*net.TCPAddr)
	if udp {
		u, err := net.ListenPacket("udp", addr.String())
		if err != nil {
			return "", false
		}
		u.Close()
	}
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[addr.Port] {
		return "", false
	}
	handedOut.ports[addr.Port] = true
	return addr.String(), true
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768 when it cannot
// be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return low
}
