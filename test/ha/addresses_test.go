package ha

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// podNetwork stands in for the Pod network. Pods here share the host's network
// namespace, where only loopback addresses can be had without privileges, and the API
// server refuses loopback addresses as endpoints. So each Pod gets two: its Pod IP, from
// 10.244.0.0/24, which is what the API server and the operator see; and a loopback
// address of its own, 127.a.b.n of a /24 picked at random per run (so that two runs on
// one machine do not meet), where its process listens. The test reaches a Pod IP through
// route, as the Pod network would carry the packets. No address is handed out twice in a
// run, so a new Pod never finds its predecessor's sockets.
type podNetwork struct {
	loopbackPrefix string

	mu     sync.Mutex
	last   int
	routes map[string]string // Pod IP -> loopback address
}

const podIPPrefix = "10.244.0."

func newPodNetwork() *podNetwork {
	return &podNetwork{
		loopbackPrefix: fmt.Sprintf("127.%d.%d.", 1+rand.IntN(254), rand.IntN(256)),
		last:           1,
		routes:         map[string]string{},
	}
}

// attach gives a new Pod its Pod IP and the loopback address it listens on.
func (n *podNetwork) attach() (podIP, loopback string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last >= 254 {
		return "", "", fmt.Errorf("out of Pod IPs in %s0/24", podIPPrefix)
	}
	n.last++
	podIP, loopback = podIPPrefix+strconv.Itoa(n.last), n.loopbackPrefix+strconv.Itoa(n.last)
	n.routes[podIP] = loopback
	return podIP, loopback, nil
}

// route is the address that reaches addr (ip:port) when its IP is a Pod IP; others are
// returned as they are.
func (n *podNetwork) route(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if lo, ok := n.routes[host]; ok {
		return net.JoinHostPort(lo, port)
	}
	return addr
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
