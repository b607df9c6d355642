package sipd

import (
	"net/netip"
	"testing"
	"time"
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
	in := newIntake(100, time.Hour)
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

	alone := newIntake(8, time.Hour)
	for range 8 {
		if _, shed := alone.push(dgram("192.0.2.9:5000"), false); shed {
			t.Fatal("a source alone was shed before the intake was full")
		}
	}
}

// TestIntakeShedsHeaviest: when full, the heaviest unbound source loses its newest
// datagram to whoever arrives, bound or not; the heaviest itself arriving is shed.
func TestIntakeShedsHeaviest(t *testing.T) {
	in := newIntake(4, time.Hour)
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

// opening is a datagram of src opening a registration, received at.
func opening(src string, at time.Time) datagram {
	d := dgram(src)
	d.data, d.opens, d.received = []byte("open "+src), true, at
	return d
}

// underWay is a datagram of src continuing work under way, received at.
func underWay(src string, at time.Time) datagram {
	d := dgram(src)
	d.data, d.received = []byte("answer "+src), at
	return d
}

func wantPopped(t *testing.T, in *intake, want ...string) {
	t.Helper()
	got := drain(in)
	if len(got) != len(want) {
		t.Fatalf("popped %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %q, want %q", got, want)
		}
	}
}

// TestIntakeServesEachSourceInArrivalOrder: within a source, opening REGISTERs and work
// under way go in arrival order, work under way first among those read together;
// sources still take turns and the bound class still goes first.
func TestIntakeServesEachSourceInArrivalOrder(t *testing.T) {
	t0 := time.Now()
	t1 := t0.Add(time.Millisecond)
	in := newIntake(100, time.Hour)
	in.push(opening("192.0.2.9:5000", t0), false)
	in.push(underWay("192.0.2.9:5000", t1), false)
	in.push(opening("192.0.2.9:5001", t1), false)
	in.push(underWay("192.0.2.9:5001", t1), false)
	in.push(opening("192.0.2.7:5060", t0), false)
	in.push(opening("192.0.2.1:5060", t0), true)
	in.push(underWay("192.0.2.1:5060", t1), true)
	wantPopped(t, in,
		"open 192.0.2.1:5060", "answer 192.0.2.1:5060",
		"open 192.0.2.9:5000", "open 192.0.2.7:5060", "answer 192.0.2.9:5000",
		"answer 192.0.2.9:5001", "open 192.0.2.9:5001")
}

// TestIntakeShedsOpeningsFirst: a full intake gives up new work before work under way.
// An arriving answer displaces its own source's newest opening REGISTER where it would
// otherwise be the excess; an arriving opening REGISTER is the excess itself; the
// heaviest source that pays for another's arrival loses its newest opening REGISTER,
// not its newer answer.
func TestIntakeShedsOpeningsFirst(t *testing.T) {
	at := time.Now()
	t.Run("one source", func(t *testing.T) {
		in := newIntake(3, time.Hour)
		in.push(opening("192.0.2.1:5060", at), true)
		in.push(opening("192.0.2.1:5060", at.Add(time.Millisecond)), true)
		in.push(underWay("192.0.2.1:5060", at), true)
		newest := at.Add(time.Millisecond)
		if shed, ok := in.push(underWay("192.0.2.1:5060", at), true); !ok || !shed.opens || !shed.received.Equal(newest) {
			t.Errorf("an answer arriving at a full intake: shed %q %v, want the newest opening REGISTER", shed.data, ok)
		}
		if shed, ok := in.push(opening("192.0.2.1:5060", at), true); !ok || !shed.opens || !shed.received.Equal(at) {
			t.Errorf("an opening REGISTER arriving at a full intake: shed %q %v, want itself", shed.data, ok)
		}
		wantPopped(t, in, "answer 192.0.2.1:5060", "answer 192.0.2.1:5060", "open 192.0.2.1:5060")
	})
	t.Run("another source", func(t *testing.T) {
		in := newIntake(4, time.Hour)
		in.push(opening("192.0.2.9:5000", at), false)
		in.push(opening("192.0.2.9:5000", at), false)
		in.push(underWay("192.0.2.9:5000", at), false) // newer than its openings
		in.push(underWay("192.0.2.7:5060", at), false)
		if shed, ok := in.push(underWay("192.0.2.1:5060", at), true); !ok || !shed.opens || shed.src.String() != "192.0.2.9:5000" {
			t.Errorf("a bound answer arriving: shed %q %v, want the heaviest source's opening REGISTER", shed.data, ok)
		}
		if shed, ok := in.push(underWay("192.0.2.7:5060", at), false); !ok || shed.src.String() != "192.0.2.7:5060" {
			t.Errorf("a lighter source's answer arriving: shed %q %v, want itself (the heaviest is not heavier by two)", shed.data, ok)
		}
		wantPopped(t, in, "answer 192.0.2.1:5060", "answer 192.0.2.9:5000", "answer 192.0.2.7:5060", "open 192.0.2.9:5000")
	})
}

// TestIntakeShedsOpeningsThatWouldWaitTooLong: once a source's oldest opening REGISTER
// has waited past the intake's opening delay, its next opening REGISTERs are shed on
// arrival, before the intake is full; its answers are still queued, other sources'
// openings too, and its own are queued again once the old ones are served.
func TestIntakeShedsOpeningsThatWouldWaitTooLong(t *testing.T) {
	t0 := time.Now()
	in := newIntake(100, 100*time.Millisecond)
	for _, ms := range []int{0, 50, 100} {
		if _, shed := in.push(opening("192.0.2.9:5000", t0.Add(time.Duration(ms)*time.Millisecond)), false); shed {
			t.Fatalf("an opening REGISTER %d ms after the first was shed", ms)
		}
	}
	late := t0.Add(150 * time.Millisecond)
	if shed, ok := in.push(opening("192.0.2.9:5000", late), false); !ok || !shed.received.Equal(late) {
		t.Errorf("an opening REGISTER 150 ms after the oldest: shed %q %v, want itself", shed.data, ok)
	}
	if _, shed := in.push(underWay("192.0.2.9:5000", late), false); shed {
		t.Error("an answer of the same source was shed")
	}
	if _, shed := in.push(opening("192.0.2.7:5060", late), false); shed {
		t.Error("another source's opening REGISTER was shed")
	}
	wantPopped(t, in, "open 192.0.2.9:5000", "open 192.0.2.7:5060", "open 192.0.2.9:5000", "open 192.0.2.9:5000", "answer 192.0.2.9:5000")
	if _, shed := in.push(opening("192.0.2.9:5000", late), false); shed {
		t.Error("an opening REGISTER was shed after the old ones were served")
	}
}
