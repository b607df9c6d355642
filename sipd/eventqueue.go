package sipd

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// eventQueue decouples the SIP path from the controllers. push never blocks: it
// replaces a device's undelivered event (coalescing) or appends the device to a FIFO;
// a pump goroutine hands events to the out channel at the receiver's pace. The number
// of devices waiting is bounded; past it new events are dropped and counted.
type eventQueue struct {
	mu      sync.Mutex
	pending map[string]Event
	order   []string // device IDs with a pending event, oldest first
	head    int
	max     int
	signal  chan struct{}
	out     chan Event
	dropped prometheus.Counter
	closed  bool
}

func newEventQueue(max int, dropped prometheus.Counter) *eventQueue {
	return &eventQueue{
		pending: make(map[string]Event),
		max:     max,
		signal:  make(chan struct{}, 1),
		out:     make(chan Event),
		dropped: dropped,
	}
}

// push queues ev, replacing the device's undelivered event if any.
func (q *eventQueue) push(ev Event) {
	q.mu.Lock()
	if _, ok := q.pending[ev.DeviceID]; ok {
		q.pending[ev.DeviceID] = ev
		q.mu.Unlock()
		return
	}
	if len(q.pending) >= q.max || q.closed {
		q.mu.Unlock()
		q.dropped.Inc()
		return
	}
	q.pending[ev.DeviceID] = ev
	q.order = append(q.order, ev.DeviceID)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// pop takes the oldest pending event.
func (q *eventQueue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head >= len(q.order) {
		return Event{}, false
	}
	id := q.order[q.head]
	q.order[q.head] = ""
	q.head++
	if q.head > 1024 && q.head*2 > len(q.order) {
		// Compact so the FIFO's backing array does not grow with the total ever queued.
		q.order = append(q.order[:0], q.order[q.head:]...)
		q.head = 0
	}
	ev := q.pending[id]
	delete(q.pending, id)
	return ev, true
}

// pump delivers events until ctx ends.
func (q *eventQueue) pump(ctx context.Context) {
	for {
		ev, ok := q.pop()
		if !ok {
			select {
			case <-q.signal:
				continue
			case <-ctx.Done():
				return
			}
		}
		select {
		case q.out <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// close ends the stream; called after pump has returned.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.out)
}
