package sipd

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
)

// RFC 3261 §17.1 client transactions of the media dialogs, over the registrar's own
// sockets. Over UDP the request is retransmitted: an INVITE at T1, 2*T1, 4*T1... until
// a provisional answer or Timer B (64*T1); a BYE at T1 doubling up to T2 until Timer F
// (64*T1). Over TCP it is sent once. Responses reach the transaction by its Via branch
// through the query table's transaction map, which the queries use the same way.

const (
	timerT1 = 500 * time.Millisecond
	timerT2 = 4 * time.Second
	// txResponses is the buffer of a transaction's responses: 100, 18x and the final
	// answer can arrive together over UDP and must not be dropped.
	txResponses = 8
)

// newTx registers a transaction for branch with room for a burst of responses.
func (t *queryTable) newTx(branch string) *clientTx {
	tx := &clientTx{branch: branch, responses: make(chan *sip.Response, txResponses)}
	t.mu.Lock()
	t.txs[branch] = tx
	t.mu.Unlock()
	return tx
}

// transact sends msg to dst and waits for the final response. onProvisional, when set,
// sees each 1xx. It returns ErrTimeout (wrapped) after Timer B/F without a final answer
// (an INVITE answered 1xx waits for its final answer until ctx ends), ErrUnreachable when
// sending failed, ErrStopped at shutdown, or ctx's error.
func (s *Server) transact(ctx context.Context, method sip.RequestMethod, branch string, msg []byte, dst source) (*sip.Response, error) {
	tx := s.queries.newTx(branch)
	defer s.queries.removeTx(branch)
	if err := s.send(dst, msg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	invite := method == sip.INVITE
	timeout := time.NewTimer(64 * timerT1) // Timer B or F
	defer timeout.Stop()
	interval := timerT1
	retransmit := time.NewTimer(interval) // Timer A or E
	defer retransmit.Stop()
	if dst.conn != nil {
		retransmit.Stop()
	}
	for {
		select {
		case res := <-tx.responses:
			if res.StatusCode >= 200 {
				return res, nil
			}
			if invite {
				// Proceeding: the device is working on it; no more retransmissions, and
				// Timer B no longer applies (RFC 3261 §17.1.1.2).
				retransmit.Stop()
				timeout.Stop()
			}
		case <-retransmit.C:
			_ = s.send(dst, msg)
			interval *= 2
			if !invite {
				interval = min(interval, timerT2)
			}
			retransmit.Reset(interval)
		case <-timeout.C:
			return nil, fmt.Errorf("%w: no answer to %s", ErrTimeout, method)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.queries.stop:
			return nil, ErrStopped
		}
	}
}
