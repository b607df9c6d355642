package sipd

import (
	"sync"
	"sync/atomic"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The outstanding queries, bounded by MaxQueries, by the device and the SN their
// Response MESSAGE will carry: deliver hands a Response from the device's address to
// its query's answer (message_answer.go), which says when it is complete.

// queryKey identifies a query by the device and the SN its Response will carry.
type queryKey struct {
	deviceID string
	sn       int
}

type pendingQuery struct {
	key      queryKey
	cmd      string
	remoteIP string
	done     chan struct{} // closed when the answer is complete
	failed   chan error    // the transaction failed (cap 1)

	// accepted: the device answered the MESSAGE 2xx; a Response may still be missing.
	accepted atomic.Bool

	mu        sync.Mutex
	completed bool
	// answer collects the Responses of the query's CmdType (message_answer.go).
	answer answer
}

// fail reports a failure to the query's waiter.
func (q *pendingQuery) fail(err error) {
	select {
	case q.failed <- err:
	default:
	}
}

// queryTable holds the outstanding queries, bounded by MaxQueries; their MESSAGE
// transactions are the registrar's client transactions (transaction_client.go).
type queryTable struct {
	mu      sync.Mutex
	pending map[queryKey]*pendingQuery
	max     int
	sn      atomic.Int64
	stopped bool
}

func newQueryTable(maxQueries int) *queryTable {
	return &queryTable{pending: make(map[queryKey]*pendingQuery), max: maxQueries}
}

func (t *queryTable) add(deviceID, cmd, remoteIP string, a answer) (*pendingQuery, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return nil, ErrStopped
	}
	if len(t.pending) >= t.max {
		return nil, ErrTooManyQueries
	}
	for {
		// SNs are positive and below 10^9: some firmware stores them in an int32.
		sn := int(t.sn.Add(1)%999_999_999) + 1
		k := queryKey{deviceID: deviceID, sn: sn}
		if _, busy := t.pending[k]; busy {
			continue
		}
		q := &pendingQuery{key: k, cmd: cmd, remoteIP: remoteIP, answer: a, done: make(chan struct{}), failed: make(chan error, 1)}
		t.pending[k] = q
		return q, nil
	}
}

func (t *queryTable) remove(q *pendingQuery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[q.key] == q {
		delete(t.pending, q.key)
	}
}

// deliver hands a Response body, from srcIP, to the query waiting for (deviceID, SN):
// the device or channel the body names, or else the sender. It reports whether a
// query took it.
func (t *queryTable) deliver(bodyID, fromID, srcIP string, msg *manscdp.Message, partID uint64) bool {
	t.mu.Lock()
	q := t.pending[queryKey{deviceID: bodyID, sn: msg.SN}]
	if q == nil && fromID != bodyID {
		q = t.pending[queryKey{deviceID: fromID, sn: msg.SN}]
	}
	t.mu.Unlock()
	if q == nil || q.cmd != msg.CmdType || q.remoteIP != srcIP {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.completed {
		return false
	}
	if q.answer.add(msg, partID) {
		q.completed = true
		close(q.done)
	}
	return true
}

// closeAll refuses new queries at shutdown; the waiters wake on Server.stopping.
func (t *queryTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
}
