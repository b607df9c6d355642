package testutil

import (
	"net"
	"testing"
)

// FreeSIPAddr returns a loopback address whose port is free over both UDP and TCP, for a
// registrar that listens on both.
func FreeSIPAddr(t testing.TB) string {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatal("no loopback port free over both UDP and TCP")
	return ""
}

// FreeTCPAddr returns a free loopback TCP address.
func FreeTCPAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
