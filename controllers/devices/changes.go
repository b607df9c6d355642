package devices

import (
	"context"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/gb28181/camera-operator/sipd"
)

// maxEarlyChanges bounds the device IDs remembered before the Camera controller has
// started: beyond it they are dropped, which loses nothing, since the controller's
// start reconciles every Camera anyway.
const maxEarlyChanges = 1 << 16

// Changes is the one path by which "device X changed" reaches the controllers from
// outside the API: the registrar (as its sipd.Notifier), the Camera controller's querier
// (an answer arrived) and its credential store (a Secret not read yet) call Notify or
// NotifyDetail, which adds the device ID to the Camera controller's workqueue (Changes is
// that controller's source, beside its watches of Cameras and Secrets); the Stream
// controller hears of changes of state through AlsoTell. The workqueue deduplicates (a device is queued once however often it changes
// before a worker takes it) and its Add never blocks, so the SIP path never waits on the
// API path.
type Changes struct {
	queue atomic.Pointer[workqueue.TypedRateLimitingInterface[string]]

	mu    sync.Mutex
	early map[string]struct{} // notified before the controller started

	// also are told of every change of state too (the Stream controller); set before
	// the registrar starts, read only afterwards.
	also []sipd.Notifier
	// events receives what devices tell (events.go); set before the registrar starts.
	events sipd.EventHandler
}

// AlsoTell makes every later change of state reach n as well (the Stream controller,
// which follows a Camera's liveness through the Camera's status instead). Call it before
// the registrar starts.
func (c *Changes) AlsoTell(n sipd.Notifier) { c.also = append(c.also, n) }

var (
	_ sipd.Notifier       = (*Changes)(nil)
	_ sipd.DetailNotifier = (*Changes)(nil)
)

// NewChanges returns the signal to hand to sipd.Config.Notifier and to the controllers.
func NewChanges() *Changes {
	return &Changes{early: make(map[string]struct{})}
}

// Priorities of the workqueue (controller-runtime's priority queue): a change of state
// (a registration, an expiry, a failure) goes before a change of detail (a keepalive, a
// refresh, a query's answer), which goes before the Cameras of the informer's initial
// list (handler.LowPriority). When a whole fleet re-registers at once, its states reach
// the API first.
var (
	statePriority  = 0
	detailPriority = handler.LowPriority / 2
)

// Notify implements sipd.Notifier: deviceID's state changed.
func (c *Changes) Notify(deviceID string) {
	for _, n := range c.also {
		n.Notify(deviceID)
	}
	c.add(deviceID, &statePriority)
}

// NotifyDetail implements sipd.DetailNotifier: a detail of deviceID changed.
func (c *Changes) NotifyDetail(deviceID string) { c.add(deviceID, &detailPriority) }

func (c *Changes) add(deviceID string, priority *int) {
	q := c.queue.Load()
	if q == nil {
		c.mu.Lock()
		if q = c.queue.Load(); q == nil { // not started yet
			if len(c.early) < maxEarlyChanges {
				c.early[deviceID] = struct{}{}
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	if pq, ok := (*q).(priorityqueue.PriorityQueue[string]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: priority}, deviceID)
		return
	}
	(*q).Add(deviceID)
}

// Backlog is the number of devices waiting for a worker (those whose requeue time has
// not come are not counted).
func (c *Changes) Backlog() int {
	if q := c.queue.Load(); q != nil {
		return (*q).Len()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.early)
}

// Start implements source.TypedSource: from now on notifications go to queue.
func (c *Changes) Start(_ context.Context, queue workqueue.TypedRateLimitingInterface[string]) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.early {
		queue.Add(id)
	}
	c.early = nil
	c.queue.Store(&queue)
	return nil
}

func (c *Changes) String() string { return "device changes" }
