package devices

import (
	"context"
	"slices"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
)

// TestDeviceChangesOrder: changes signalled before the controller started are not lost
// (and, of unknown kind, count as changes of state), a device is queued once however
// often it changes, and changes of state are served before changes of detail.
func TestDeviceChangesOrder(t *testing.T) {
	c := NewChanges()
	c.NotifyDetail("early")
	q := priorityqueue.New[string]("device-changes-test")
	defer q.ShutDown()
	if err := c.Start(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	c.NotifyDetail("keepalive")
	c.NotifyDetail("keepalive")
	c.Notify("registered")
	c.NotifyDetail("registered") // already queued at a higher priority

	var got []string
	for q.Len() > 0 {
		id, _, _ := q.GetWithPriority()
		got = append(got, id)
		q.Done(id)
	}
	if want := []string{"early", "registered", "keepalive"}; !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
}

// TestDeviceChangesBacklog: the backlog Events yield to counts the devices waiting,
// before and after the controller started, and not those being worked on.
func TestDeviceChangesBacklog(t *testing.T) {
	c := NewChanges()
	c.Notify("a")
	c.Notify("b")
	c.Notify("a")
	if got := c.Backlog(); got != 2 {
		t.Fatalf("backlog before start = %d, want 2", got)
	}
	q := priorityqueue.New[string]("device-changes-backlog-test")
	defer q.ShutDown()
	if err := c.Start(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	c.NotifyDetail("c")
	if got := c.Backlog(); got != 3 {
		t.Fatalf("backlog after start = %d, want 3", got)
	}
	id, _, _ := q.GetWithPriority()
	if got := c.Backlog(); got != 2 {
		t.Fatalf("backlog with %s taken by a worker = %d, want 2", id, got)
	}
	q.Done(id)
}
