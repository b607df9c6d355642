package sipd

import (
	"sync"
	"sync/atomic"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The outstanding queries, bounded by MaxQueries, by the device and the SN their
// Response MESSAGE will carry: deliver hands a Response from the device's address to
// its query (a DeviceInfo completes it, a Catalog part adds to it, message_catalog.go).

// queryKey identifies a query by the device and the SN its Response will carry.
type queryKey struct {
	deviceID string
	sn       int
}

type pendingQuery struct {
	key      queryKey
	cmd      string
	remoteIP string
	limits   catalogLimits
	done     chan struct{} // closed when the answer is complete
	failed   chan error    // the transaction failed (cap 1)

	mu        sync.Mutex
	completed bool
	info      *manscdp.DeviceInfo
	catalog   manscdp.Catalog
	// parts holds the catalogPartIDs seen (see message_catalog.go).
	parts map[uint64]struct{}
	// heldBytes is the text of the items collected.
	heldBytes int
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

func (t *queryTable) add(deviceID, cmd, remoteIP string, limits catalogLimits) (*pendingQuery, error) {
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
		q := &pendingQuery{key: k, cmd: cmd, remoteIP: remoteIP, limits: limits, done: make(chan struct{}), failed: make(chan error, 1)}
		q.catalog.DeviceID = deviceID
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

type deliverResult int

// deliver hands a Response body to the query waiting for (deviceID, SN).
func (t *queryTable) deliver(bodyID, fromID, srcIP string, msg *manscdp.Message, partID uint64) deliverResult {
	t.mu.Lock()
	q := t.pending[queryKey{deviceID: bodyID, sn: msg.SN}]
	if q == nil && fromID != bodyID {
		q = t.pending[queryKey{deviceID: fromID, sn: msg.SN}]
	}
	t.mu.Unlock()
	if q == nil || q.cmd != msg.CmdType || q.remoteIP != srcIP {
		return deliveredNone
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.completed {
		return deliveredNone
	}
	switch {
	case msg.DeviceInfo != nil:
		q.info = msg.DeviceInfo
		q.completed = true
		close(q.done)
		return deliveredInfo
	case msg.Catalog != nil:
		return q.addCatalogPart(msg.Catalog, partID)
	}
	return deliveredNone
}

// closeAll refuses new queries at shutdown; the waiters wake on Server.stopping.
func (t *queryTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
}
