package camera

import "time"

// A registration storm's first queries run at most a window ahead of the status writes
// that carry their answers. Queried all at once, as the registrar hears them, 50,000
// registrations were answered within two minutes while their statuses took five to
// write: the querier and the simulated devices took the cores the API server writes
// with (it had 0.6-0.8 of a core in those two minutes, against 1.4 when nothing else
// ran), so the catch-up ended later than the same writes alone, and the querier held
// every device's answers until its Camera's turn. Kept a window ahead, the same queries
// spread over the catch-up in the CPU the writes leave, each registration's answers are
// still in before its turn (one write a Camera), and about a window of answers waits in
// memory instead of the whole storm's.
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
