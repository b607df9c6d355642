package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Datagrams the kernel dropped because a socket's receive buffer was full, counted over
// a step: at the target's socket (found by its port in /proc/net/udp) and elsewhere on
// the machine (Udp RcvbufErrors of /proc/net/snmp less the target's: sipp's socket, in a
// step). A retransmission is either an answer that came late or a datagram never read,
// and these say which side never read it: the registrar's reader falling behind, or a
// load generator too busy to take its answers.

// udpDrops is a step's kernel drops.
type udpDrops struct {
	Target    uint64 `json:"target"`
	Elsewhere uint64 `json:"elsewhere"`
}

// udpDropMark is the counters when a step started.
type udpDropMark struct {
	port        uint16
	target, all uint64
}

// markUDPDrops reads the counters for the target at addr ("ip:port").
func markUDPDrops(addr string) (udpDropMark, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return udpDropMark{}, err
	}
	m := udpDropMark{port: ap.Port()}
	m.target, m.all, err = readUDPDrops(m.port)
	return m, err
}

// since is the drops from the mark until now.
func (m udpDropMark) since() (udpDrops, error) {
	target, all, err := readUDPDrops(m.port)
	if err != nil {
		return udpDrops{}, err
	}
	d := udpDrops{Target: target - m.target}
	if all-m.all > d.Target {
		d.Elsewhere = all - m.all - d.Target
	}
	return d, nil
}

func readUDPDrops(port uint16) (target, all uint64, err error) {
	for _, path := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		n, err := socketDrops(f, port)
		f.Close()
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		target += n
	}
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	all, err = rcvbufErrors(f)
	return target, all, err
}

// socketDrops sums the drops column of the sockets bound to port in a /proc/net/udp
// table.
func socketDrops(r io.Reader, port uint16) (uint64, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return 0, sc.Err()
	}
	header := strings.Fields(sc.Text())
	if len(header) == 0 || header[len(header)-1] != "drops" {
		return 0, fmt.Errorf("no drops column in %q", sc.Text())
	}
	want := fmt.Sprintf(":%04X", port)
	var sum uint64
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasSuffix(f[1], want) {
			continue
		}
		n, err := strconv.ParseUint(f[len(f)-1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("drops of %q: %w", sc.Text(), err)
		}
		sum += n
	}
	return sum, sc.Err()
}

// rcvbufErrors reads Udp RcvbufErrors from /proc/net/snmp: a header line of names and
// a line of values, both starting "Udp:".
func rcvbufErrors(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	var names []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, name := range names {
			if name == "RcvbufErrors" && i < len(f) {
				return strconv.ParseUint(f[i], 10, 64)
			}
		}
		return 0, fmt.Errorf("no Udp RcvbufErrors in %v", names)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no Udp lines")
}
