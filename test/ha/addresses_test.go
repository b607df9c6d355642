package ha

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// ipPool hands out Pod IPs: 127.a.b.2, .3, ... of a /24 of the loopback network picked
// at random per run, so that two runs on one machine do not meet. An address is never
// handed out twice in a run, so a new Pod never finds its predecessor's sockets.
type ipPool struct {
	prefix string

	mu   sync.Mutex
	last int
}

func newIPPool() *ipPool {
	return &ipPool{prefix: fmt.Sprintf("127.%d.%d.", 1+rand.IntN(254), rand.IntN(256)), last: 1}
}

func (p *ipPool) next() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last >= 254 {
		return "", fmt.Errorf("out of Pod IPs in %s0/24", p.prefix)
	}
	p.last++
	return p.prefix + strconv.Itoa(p.last), nil
}

// freePort returns a TCP port free on ip a moment ago.
func freePort(t *testing.T, ip string) int32 {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

// freeSIPPort returns a port free on ip over both UDP and TCP a moment ago.
func freeSIPPort(t *testing.T, ip string) int32 {
	t.Helper()
	for range 50 {
		port := freePort(t, ip)
		u, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(int(port))))
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no port free over both UDP and TCP")
	return 0
}
