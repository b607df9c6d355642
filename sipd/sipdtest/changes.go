package sipdtest

import (
	"sync"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
)

// changeTimeout bounds the wait for a notification; past it the change is not coming.
const changeTimeout = 5 * time.Second

// Changes is a sipd.Notifier that records the notifications of each device, so that a
// test can count them and wait for the next one. It does not implement
// sipd.DetailNotifier: changes of detail (keepalives, same-place refreshes) arrive
// through Notify like the others.
type Changes struct {
	mu     sync.Mutex
	counts map[string]int
	waited map[string]int // the counts Wait has already returned for
	signal chan struct{}
}

var _ sipd.Notifier = (*Changes)(nil)

// NewChanges returns a recorder that has seen nothing.
func NewChanges() *Changes {
	return &Changes{counts: map[string]int{}, waited: map[string]int{}, signal: make(chan struct{}, 1)}
}

// Notify records a change of deviceID. It never blocks, as the registrar requires.
func (c *Changes) Notify(deviceID string) {
	c.mu.Lock()
	c.counts[deviceID]++
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// Count is the number of notifications of deviceID so far.
func (c *Changes) Count(deviceID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[deviceID]
}

// Wait waits for a notification of deviceID newer than those Wait already returned for,
// and fails t when none arrives within 5 seconds. Several notifications since the last
// Wait count as one.
func (c *Changes) Wait(t testing.TB, deviceID string) {
	t.Helper()
	timeout := time.After(changeTimeout)
	for {
		c.mu.Lock()
		if c.counts[deviceID] > c.waited[deviceID] {
			c.waited[deviceID] = c.counts[deviceID]
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-timeout:
			t.Fatalf("no change notified for %s", deviceID)
		}
	}
}
