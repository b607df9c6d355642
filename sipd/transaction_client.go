package sipd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFC 3261 §17.1 client transactions, over the registrar's own sockets: every request
// the registrar sends and awaits an answer to (queries, INVITE and its CANCEL, BYE) is
// begun and awaited here, by transact or, for a query its caller does not wait on,
// begin and await. Over UDP the request is retransmitted: an INVITE at T1, 2*T1, 4*T1... until
// a provisional answer or Timer B (64*T1); any other request at T1 doubling up to T2
// until Timer F (64*T1). Over TCP it is sent once. A response reaches its transaction
// by the top Via branch and the CSeq method (a CANCEL shares its INVITE's branch), and
// only from the address the request went to: whoever else learnt the branch cannot
// answer for the device.

const (
	timerT1 = 500 * time.Millisecond
	timerT2 = 4 * time.Second
	// txTimeout is Timer B and Timer F (64*T1): how long a client transaction waits for
	// its final answer, and so the span over which a UDP client retransmits a request.
	txTimeout = 64 * timerT1
	// txResponses is the buffer of a transaction's responses: 100, 18x and the final
	// answer can arrive together over UDP and must not be dropped.
	txResponses = 8
)

// ErrTooManyTransactions means MaxTransactions client transactions are already in flight.
var ErrTooManyTransactions = errors.New("sipd: too many requests in flight")

// txKey identifies a client transaction: its branch and method.
type txKey struct {
	branch string
	method sip.RequestMethod
}

// clientTx is a client transaction waiting for its responses.
type clientTx struct {
	key       txKey
	dst       source
	responses chan *sip.Response
}

// clientTxs is the table of client transactions in flight, at most max of them.
type clientTxs struct {
	mu  sync.Mutex
	m   map[txKey]*clientTx
	max int
}

func newClientTxs(maxTxs int) *clientTxs {
	return &clientTxs{m: make(map[txKey]*clientTx), max: maxTxs}
}

// add registers a transaction for key toward dst.
func (t *clientTxs) add(key txKey, dst source) (*clientTx, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		return nil, ErrTooManyTransactions
	}
	tx := &clientTx{key: key, dst: dst, responses: make(chan *sip.Response, txResponses)}
	t.m[key] = tx
	return tx, nil
}

// remove forgets tx.
func (t *clientTxs) remove(tx *clientTx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[tx.key] == tx {
		delete(t.m, tx.key)
	}
}

// deliver hands res, received from src, to its transaction; false when none waits for it
// there.
func (t *clientTxs) deliver(res *sip.Response, src source) bool {
	branch, _ := paramValue(res.Via().Params, "branch")
	t.mu.Lock()
	tx := t.m[txKey{branch: branch, method: res.CSeq().MethodName}]
	t.mu.Unlock()
	if tx == nil || !answersFrom(tx.dst, src) {
		return false
	}
	select {
	case tx.responses <- res:
	default: // a retransmitted final response: the first one is being handled
	}
	return true
}

// answersFrom reports whether a response from src can answer a request sent to dst: the
// same IP address (a device may answer from another port of its own; over TCP, the
// connection is its own).
func answersFrom(dst, src source) bool {
	return dst.addr.Addr().Unmap() == src.addr.Addr().Unmap()
}

// txOutcome is how a client transaction ended.
type txOutcome struct {
	// final is the final response; nil on error.
	final *sip.Response
	// proceeding: a provisional response arrived (an INVITE may then be cancelled).
	proceeding bool
}

// transact sends msg, whose top Via has branch, to dst and waits for the final
// response. It returns ErrTimeout (wrapped) after Timer B/F without a final answer (an
// INVITE answered 1xx waits for its final answer until ctx ends), ErrUnreachable when
// sending failed, ErrTooManyTransactions at the bound, ErrStopped at shutdown, or ctx's
// error.
func (s *Server) transact(ctx context.Context, method sip.RequestMethod, branch string, msg []byte, dst source) (txOutcome, error) {
	tx, err := s.begin(method, branch, msg, dst)
	if err != nil {
		return txOutcome{}, err
	}
	defer s.txs.remove(tx)
	return s.await(ctx, tx, msg)
}

// begin registers the client transaction of msg, whose top Via has branch, toward dst
// and sends msg. The caller awaits the transaction and then removes it. It returns
// ErrTooManyTransactions at the bound, ErrUnreachable (wrapped) when sending failed.
func (s *Server) begin(method sip.RequestMethod, branch string, msg []byte, dst source) (*clientTx, error) {
	tx, err := s.txs.add(txKey{branch: branch, method: method}, dst)
	if err != nil {
		return nil, err
	}
	if err := s.send(dst, msg); err != nil {
		s.txs.remove(tx)
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	return tx, nil
}

// await runs tx's timers until its final response.
func (s *Server) await(ctx context.Context, tx *clientTx, msg []byte) (txOutcome, error) {
	var out txOutcome
	invite := tx.key.method == sip.INVITE
	timeout := time.NewTimer(txTimeout) // Timer B or F
	defer timeout.Stop()
	interval := timerT1
	retransmit := time.NewTimer(interval) // Timer A or E
	defer retransmit.Stop()
	if tx.dst.conn != nil {
		retransmit.Stop()
	}
	for {
		select {
		case res := <-tx.responses:
			if res.StatusCode >= 200 {
				out.final = res
				return out, nil
			}
			out.proceeding = true
			// A provisional answer ends retransmissions; for an INVITE, Timer B no
			// longer applies either (RFC 3261 §17.1.1.2).
			retransmit.Stop()
			if invite {
				timeout.Stop()
			}
		case <-retransmit.C:
			_ = s.send(tx.dst, msg)
			interval *= 2
			if !invite {
				interval = min(interval, timerT2)
			}
			retransmit.Reset(interval)
		case <-timeout.C:
			return out, fmt.Errorf("%w: no answer to %s", ErrTimeout, tx.key.method)
		case <-ctx.Done():
			return out, ctx.Err()
		case <-s.stopping:
			return out, ErrStopped
		}
	}
}
