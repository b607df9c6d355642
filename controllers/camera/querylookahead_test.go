package camera

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
)

// TestQuerierLookahead: with a window of one, a registration's first query waits while
// another's Camera waits for its turn, and goes once that Camera's reconcile takes the
// answers (consumed, with the answers or without), once the other's hold ends, once the
// other device is forgotten, or once the other's job ends with nothing to write. A
// refresh takes no slot, nor does a first query whose own Camera's turn came while it
// waited: a full window holds neither back.
func TestQuerierLookahead(t *testing.T) {
	ids := []string{"34020000001320000092", "34020000001320000093", "34020000001320000094",
		"34020000001320000095", "34020000001320000096", "34020000001320000098"}
	const mute = "34020000001320000097"
	srv, regAt := answeringAndMute(t, ids, mute)
	a, b, c, d, e, f := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]

	clock := testutil.NewClock(t0)
	q, notify := startQuerier(t, srv, clock, Options{QueryTimeout: 2 * time.Second, QueryLookahead: 1})
	const refresh = 10 * time.Second
	due := func(id string) {
		q.due(queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: regAt[id], refresh: refresh})
	}
	held := func(id, why string) {
		t.Helper()
		select {
		case got := <-notify:
			t.Fatalf("%s queried while %s", got, why)
		case <-time.After(500 * time.Millisecond):
		}
		if r := q.result(id); r.info != nil {
			t.Fatalf("%s answered while %s", id, why)
		}
	}

	due(a)
	waitNotify(t, notify, a)
	due(b)
	held(b, a+"'s Camera waits for its turn")

	// A refresh of a, due while the window is full, goes at once.
	clock.Advance(refresh)
	due(a)
	waitNotify(t, notify, a)

	// a's status written with its answers: b goes.
	q.consumed(a, q.result(a))
	waitNotify(t, notify, b)
	if q.result(b).info == nil {
		t.Fatalf("%s notified without its DeviceInfo", b)
	}

	// b's Camera never reconciled: c waits until b's hold ends.
	due(c)
	held(c, b+"'s Camera waits, within the hold")
	clock.Advance(lookaheadHold)
	q.wake() // what Start's timer does at the hold's end
	waitNotify(t, notify, c)

	// c forgotten (its Camera deleted) with its answers unwritten: d goes.
	due(d)
	held(d, c+"'s Camera waits for its turn")
	q.forget(c)
	waitNotify(t, notify, d)

	// d's Camera reconciled before it took anything (its turn came first): the mute
	// device goes, and its job, which brings nothing, lets e go when it ends.
	due(mute)
	held(mute, d+"'s Camera waits for its turn")
	q.consumed(d, queryResult{})
	due(e)
	held(e, mute+"'s job waits for its answers") // for QueryTimeout, longer than held waits
	got := map[string]bool{}
	for range 2 {
		select {
		case id := <-notify:
			got[id] = true
		case <-time.After(15 * time.Second):
			t.Fatalf("notified of %v, want %s and %s", got, mute, e)
		}
	}
	if !got[mute] || !got[e] {
		t.Fatalf("notified of %v, want %s and %s", got, mute, e)
	}

	// f's Camera reconciled while its job waited: the writes are past it, so it goes
	// at once without a slot, e's still held.
	due(f)
	held(f, e+"'s Camera waits for its turn")
	q.consumed(f, queryResult{})
	waitNotify(t, notify, f)
	q.mu.Lock()
	open := q.ahead.open
	q.mu.Unlock()
	if open != 1 {
		t.Errorf("%d lookahead slots held, want 1 (%s's)", open, e)
	}
}

// TestLookaheadSlots: the window's bookkeeping, slot by slot.
func TestLookaheadSlots(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name string
		max  int
		run  func(l *lookahead, s []*queryState)
		// wantFull at at(60); wantUntil when full.
		wantFull  bool
		wantUntil time.Time
		wantOpen  int
	}{
		{name: "no window", max: 0, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(0))
		}, wantOpen: 0},
		{name: "full until the oldest slot's hold ends", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(10))
			l.take(s[1], at(20))
		}, wantFull: true, wantUntil: at(10).Add(lookaheadHold), wantOpen: 2},
		{name: "one slot a device", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(10))
			l.take(s[0], at(20))
		}, wantOpen: 1},
		{name: "a slot held past its hold is given back", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(0))
			l.take(s[1], at(30))
		}, wantOpen: 1},
		{name: "given back", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(10))
			l.take(s[1], at(20))
			l.giveBack(s[0], time.Time{})
		}, wantOpen: 1},
		{name: "a hold's end does not give back a slot taken again since", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(0))
			l.giveBack(s[0], time.Time{})
			l.take(s[0], at(30))
			l.giveBack(s[0], at(0))
		}, wantOpen: 1},
		{name: "a slot given back and taken again is held from then", max: 2, run: func(l *lookahead, s []*queryState) {
			l.take(s[0], at(0))
			l.giveBack(s[0], time.Time{})
			l.take(s[0], at(30))
			l.take(s[1], at(40))
		}, wantFull: true, wantUntil: at(30).Add(lookaheadHold), wantOpen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lookahead{max: tt.max}
			s := []*queryState{{}, {}}
			tt.run(l, s)
			full, until := l.full(at(60))
			if full != tt.wantFull || !until.Equal(tt.wantUntil) || l.open != tt.wantOpen {
				t.Errorf("full %v until %v, %d open; want %v until %v, %d open", full, until, l.open, tt.wantFull, tt.wantUntil, tt.wantOpen)
			}
		})
	}
}

// TestLookaheadListBounded: slots given back out of order, behind one held long, do not
// grow the list past a few windows.
func TestLookaheadListBounded(t *testing.T) {
	l := &lookahead{max: 8}
	oldest := &queryState{}
	l.take(oldest, t0)
	for i := range 1000 {
		s := &queryState{}
		l.take(s, t0.Add(time.Duration(i)*time.Millisecond))
		l.giveBack(s, time.Time{})
	}
	if len(l.taken) > 4*l.max || l.open != 1 {
		t.Errorf("%d slots listed, %d open; want at most %d listed, 1 open", len(l.taken), l.open, 4*l.max)
	}
}
