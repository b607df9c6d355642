package testutil

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeAddrsNeverRepeat: the addresses drawn for one process's listeners are all
// different, free when drawn, and below the kernel's ephemeral range (where no bind of
// port 0 lands) when it leaves room.
func TestFreeAddrsNeverRepeat(t *testing.T) {
	low := ephemeralLow()
	seen := map[string]bool{}
	for i := range 300 {
		addr := FreeTCPAddr(t)
		if i%2 == 0 {
			addr = FreeSIPAddr(t)
		}
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if low > minDrawnPort+1000 && (port < minDrawnPort || port >= low) {
			t.Fatalf("%s is outside [%d, %d)", addr, minDrawnPort, low)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s not free: %v", addr, err)
		}
		l.Close()
	}
}
