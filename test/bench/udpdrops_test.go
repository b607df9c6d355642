package main

import (
	"strings"
	"testing"
)

func TestSocketDrops(t *testing.T) {
	const table = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  190: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 273645 2 00000000feb6f1d6 1234       
  191: 0100007F:13C5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 273646 2 00000000feb6f1d7 99         
  295: 0100007F:A2F7 0100007F:13C4 01 00000000:00000000 00:00000000 00000000     0        0 273627 2 00000000d1c58512 7          
`
	if n, err := socketDrops(strings.NewReader(table), 5060); err != nil || n != 1234 {
		t.Errorf("drops of port 5060 = %d, %v; want 1234 (the socket bound to it, not the one sending to it)", n, err)
	}
	if n, err := socketDrops(strings.NewReader(table), 5062); err != nil || n != 0 {
		t.Errorf("drops of an unbound port = %d, %v; want 0", n, err)
	}
	if _, err := socketDrops(strings.NewReader("sl local_address\n"), 5060); err == nil {
		t.Error("a table without its drops column was read")
	}
}

func TestRcvbufErrors(t *testing.T) {
	const snmp = `Ip: Forwarding DefaultTTL
Ip: 1 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 5302 11 420 5310 419 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`
	if n, err := rcvbufErrors(strings.NewReader(snmp)); err != nil || n != 419 {
		t.Errorf("RcvbufErrors = %d, %v; want 419", n, err)
	}
	if _, err := rcvbufErrors(strings.NewReader("Ip: Forwarding\nIp: 1\n")); err == nil {
		t.Error("no Udp lines, and no error")
	}
}
