package devices

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"

	"github.com/gb28181/camera-operator/sipd"
)

// What devices tell on their own (a catalog change, an alarm, the end of a
// subscription) reaches the controllers by the same path as their changes: the
// registrar hands each event to Changes (its sipd.Config.Events), which passes it to the
// handler the Camera controller installed with HandleEventsWith. The handler turns what
// changes a Camera's status into a notification of the device, so such events cost a
// reconcile only when there is something to write, batched with everything else the
// device changed meanwhile.

var _ sipd.EventHandler = (*Changes)(nil)

// HandleEventsWith makes h receive every device event. Call it before the registrar
// starts.
func (c *Changes) HandleEventsWith(h sipd.EventHandler) { c.events = h }

// HandleEvent implements sipd.EventHandler: it passes ev to the installed handler, or
// drops it when there is none.
func (c *Changes) HandleEvent(ev sipd.Event) {
	if c.events != nil {
		c.events.HandleEvent(ev)
	}
}

// NotifyDetailAfter signals a change of detail of deviceID, reconciled no sooner than
// after d: for changes that may come many a second (alarms), whose latest is written
// once however many arrive meanwhile. Before the controller started it is a plain
// NotifyDetail.
func (c *Changes) NotifyDetailAfter(deviceID string, d time.Duration) {
	q := c.queue.Load()
	if q == nil || d <= 0 {
		c.NotifyDetail(deviceID)
		return
	}
	if pq, ok := (*q).(priorityqueue.PriorityQueue[string]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: &detailPriority, After: d}, deviceID)
		return
	}
	(*q).AddAfter(deviceID, d)
}
