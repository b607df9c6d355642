package sipd

import (
	"sync"
	"time"
)

// The live media dialogs the registrar made, by Call-ID, bounded by MaxDialogs, with the
// ACK that confirmed each (sent again for a retransmitted 200), and the dialogs the
// device ended with a BYE until the controllers ask (DialogEnded).

// liveDialog is a table entry: the dialog, the ACK that confirmed it (sent again for a
// retransmitted 200) and where it goes.
type liveDialog struct {
	Dialog
	ack []byte
	dst source
}

// dialogTable holds the live media dialogs by Call-ID, at most max of them.
type dialogTable struct {
	mu  sync.Mutex
	m   map[string]*liveDialog
	max int
	// ended remembers dialogs the device ended with a BYE, until the controllers ask
	// (DialogEnded) or the bound evicts the oldest.
	ended map[string]time.Time
	// abandoned holds INVITEs given up on, for a late 200 (dialog_abandoned.go).
	abandoned map[string]*abandonedInvite
	// completed remembers the playbacks whose device said it reached the end of the
	// file (message_mediastatus.go).
	completed map[string]time.Time
}

func newDialogTable(maxDialogs int) *dialogTable {
	return &dialogTable{m: make(map[string]*liveDialog), ended: make(map[string]time.Time), abandoned: make(map[string]*abandonedInvite),
		completed: make(map[string]time.Time), max: maxDialogs}
}

// reserve fails when the table is full, before an INVITE is sent.
func (t *dialogTable) reserve() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		return ErrTooManyDialogs
	}
	return nil
}

func (t *dialogTable) add(d *liveDialog) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[d.CallID] = d
}

func (t *dialogTable) get(callID string) *liveDialog {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[callID]
}

func (t *dialogTable) remove(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, callID)
}

// endedByDevice moves a dialog to the ended set, bounded like the live one.
func (t *dialogTable) endedByDevice(callID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, callID)
	if len(t.ended) >= t.max {
		oldest, when := "", at
		for id, w := range t.ended {
			if w.Before(when) || oldest == "" {
				oldest, when = id, w
			}
		}
		delete(t.ended, oldest)
	}
	t.ended[callID] = at
}
