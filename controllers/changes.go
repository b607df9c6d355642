package controllers

import (
	"context"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/util/workqueue"

	"github.com/gb28181/camera-operator/sipd"
)

// maxEarlyChanges bounds the device IDs remembered before the Camera controller has
// started: beyond it they are dropped, which loses nothing, since the controller's
// start reconciles every Camera anyway.
const maxEarlyChanges = 1 << 16

// DeviceChanges is the one path by which "device X changed" reaches the Camera
// controller: the registrar (as its sipd.Notifier), the querier and the Secret watch
// all call Notify, which adds the device ID to the controller's workqueue. The
// workqueue deduplicates (a device is queued once however often it changes before a
// worker takes it) and its Add never blocks, so the SIP path never waits on the API
// path.
type DeviceChanges struct {
	queue atomic.Pointer[workqueue.TypedRateLimitingInterface[string]]

	mu    sync.Mutex
	early map[string]struct{} // notified before the controller started

	// also are told of every change too (the Stream controller); set before the
	// registrar starts, read only afterwards.
	also []sipd.Notifier
}

// alsoTell makes every later Notify reach n as well. Call it before the registrar starts.
func (c *DeviceChanges) alsoTell(n sipd.Notifier) { c.also = append(c.also, n) }

var _ sipd.Notifier = (*DeviceChanges)(nil)

// NewDeviceChanges returns the signal to hand to sipd.Config.Notifier and to
// SetupWithManager.
func NewDeviceChanges() *DeviceChanges {
	return &DeviceChanges{early: make(map[string]struct{})}
}

// Notify implements sipd.Notifier.
func (c *DeviceChanges) Notify(deviceID string) {
	for _, n := range c.also {
		n.Notify(deviceID)
	}
	if q := c.queue.Load(); q != nil {
		(*q).Add(deviceID)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q := c.queue.Load(); q != nil { // started meanwhile
		(*q).Add(deviceID)
		return
	}
	if len(c.early) < maxEarlyChanges {
		c.early[deviceID] = struct{}{}
	}
}

// Start implements source.TypedSource: from now on notifications go to queue.
func (c *DeviceChanges) Start(_ context.Context, queue workqueue.TypedRateLimitingInterface[string]) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.early {
		queue.Add(id)
	}
	c.early = nil
	c.queue.Store(&queue)
	return nil
}

func (c *DeviceChanges) String() string { return "device changes" }
