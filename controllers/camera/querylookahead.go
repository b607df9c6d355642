package camera

import "time"

// A registration storm's first queries run at most a window ahead of the status writes
// that carry their answers. Queried all at once, as the registrar heard them, 50,000
// registrations were answered within two minutes while their statuses took five to
// write: on shared cores the queries took the CPU the first writes needed (50-110
// writes/s while they ran, 180-250/s after), and the querier held every device's
// answers until its Camera's turn. Kept a window ahead, the queries go at the writes'
// pace and the writes at an even pace from the start: the first tenth of a 50,000 storm
// showed Registered in 34-44 s instead of 54-84 s, the median Camera 8-16 % sooner,
// peak RSS fell by a tenth (about a window of answers waits, not the storm's), and
// fewer Cameras were written twice. The last Camera comes as late: the cores do the
// same work either way (docs/scaling.md).
//
// A slot of the window is a first query of a registration whose Camera's turn has not
// come: taken when its job starts, given back when its Camera's reconcile takes what it
// brought (the turn came, answers in or not: the writes have reached it), when the job
// ends with nothing to write, when the device is forgotten, or after lookaheadHold, so
// that a Camera whose reconciles fail cannot close the window. Refreshes, retries,
// detail-only jobs and first queries whose Camera's turn came while they waited take no
// slot: the writes are past them, and a slot held for them would wait for a write of
// answers that, in a storm, comes after every pending state.

// lookaheadHold is the longest a slot is held: far longer than a storm's writes take to
// reach a query the window let start (a window of 1,024 at 200 writes/s: 5 s). A slot
// held that long stands for a Camera whose reconciles fail or wait; given back, it
// keeps the window open (the queries then run further ahead, as without a window).
const lookaheadHold = time.Minute

// lookahead counts the first queries whose answers wait for their status write. Its
// methods are called with the querier's mu held.
type lookahead struct {
	// max is the window: at most that many slots taken; 0: no window.
	max  int
	open int
	// taken lists slots in the order taken, for the hold; a slot given back stays until
	// it reaches the front (or the list is compacted).
	taken []lookaheadSlot
}

// lookaheadSlot is one slot taken for s at at.
type lookaheadSlot struct {
	s  *queryState
	at time.Time
}

// full gives back the slots held past lookaheadHold at now and reports whether the
// window is full; when it is, until is when the oldest slot's hold ends.
func (l *lookahead) full(now time.Time) (full bool, until time.Time) {
	if l.max <= 0 {
		return false, time.Time{}
	}
	for len(l.taken) > 0 {
		front := l.taken[0]
		if front.s.aheadSince.Equal(front.at) && now.Sub(front.at) < lookaheadHold {
			break
		}
		l.taken[0] = lookaheadSlot{}
		l.taken = l.taken[1:]
		_ = l.giveBack(front.s, front.at)
	}
	if l.open < l.max {
		return false, time.Time{}
	}
	return true, l.taken[0].at.Add(lookaheadHold)
}

// take opens a slot for s at now (one a device, however often it registers meanwhile).
func (l *lookahead) take(s *queryState, now time.Time) {
	if l.max <= 0 || !s.aheadSince.IsZero() {
		return
	}
	s.aheadSince = now
	l.open++
	if len(l.taken) >= 4*l.max {
		l.compact()
	}
	l.taken = append(l.taken, lookaheadSlot{s: s, at: now})
}

// giveBack closes s's slot, if it is the one taken at at (zero: whichever it holds),
// and reports whether it did.
func (l *lookahead) giveBack(s *queryState, at time.Time) bool {
	if s.aheadSince.IsZero() || (!at.IsZero() && !s.aheadSince.Equal(at)) {
		return false
	}
	s.aheadSince = time.Time{}
	l.open--
	return true
}

// compact drops the slots already given back, so that the list stays within a few
// windows however long one slot is held.
func (l *lookahead) compact() {
	kept := l.taken[:0]
	for _, t := range l.taken {
		if t.s.aheadSince.Equal(t.at) {
			kept = append(kept, t)
		}
	}
	clear(l.taken[len(kept):])
	l.taken = kept
}
