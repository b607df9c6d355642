package sipd

import (
	"net/netip"
	"testing"
)

func dgram(src string) datagram {
	return datagram{data: []byte(src), src: netip.MustParseAddrPort(src)}
}

// drain pops everything queued, in order.
func drain(in *intake) []string {
	var out []string
	for {
		in.mu.Lock()
		empty := in.held == 0
		in.mu.Unlock()
		if empty {
			return out
		}
		d, _ := in.pop()
		out = append(out, string(d.data))
	}
}

// TestIntakeServesBoundFirstAndSourcesInTurn: datagrams of bound sources go before the
// rest; within each class, sources take turns (an unbound sender by IP, whatever its
// ports); a source alone gets every slot.
func TestIntakeServesBoundFirstAndSourcesInTurn(t *testing.T) {
	in := newIntake(100)
	for range 3 {
		in.push(dgram("192.0.2.9:5000"), false) // a flooder...
	}
	in.push(dgram("192.0.2.9:5001"), false) // ...on another port: the same source
	in.push(dgram("192.0.2.7:5060"), false)
	in.push(dgram("192.0.2.1:5060"), true)
	in.push(dgram("192.0.2.2:5060"), true)
	in.push(dgram("192.0.2.1:5060"), true)
	got := drain(in)
	want := []string{
		"192.0.2.1:5060", "192.0.2.2:5060", "192.0.2.1:5060", // bound, in turn
		"192.0.2.9:5000", "192.0.2.7:5060", // then each other source in turn
		"192.0.2.9:5000", "192.0.2.9:5000", "192.0.2.9:5001",
	}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}

	alone := newIntake(8)
	for range 8 {
		if _, shed := alone.push(dgram("192.0.2.9:5000"), false); shed {
			t.Fatal("a source alone was shed before the intake was full")
		}
	}
}

// TestIntakeShedsHeaviest: when full, the heaviest unbound source loses its newest
// datagram to whoever arrives, bound or not; the heaviest itself arriving is shed.
func TestIntakeShedsHeaviest(t *testing.T) {
	in := newIntake(4)
	for range 4 {
		in.push(dgram("192.0.2.9:5000"), false)
	}
	if shed, ok := in.push(dgram("192.0.2.9:5000"), false); !ok || shed.src.String() != "192.0.2.9:5000" {
		t.Errorf("the flooder arriving at a full intake: shed %v %v, want itself", shed.src, ok)
	}
	if shed, ok := in.push(dgram("192.0.2.7:5060"), false); !ok || shed.src.String() != "192.0.2.9:5000" {
		t.Errorf("another source arriving: shed %v %v, want the flooder's newest", shed.src, ok)
	}
	if shed, ok := in.push(dgram("192.0.2.1:5060"), true); !ok || shed.src.String() != "192.0.2.9:5000" {
		t.Errorf("a bound device arriving: shed %v %v, want the flooder's newest", shed.src, ok)
	}
	got := drain(in)
	want := []string{"192.0.2.1:5060", "192.0.2.9:5000", "192.0.2.7:5060", "192.0.2.9:5000"}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}
}
