package sipd

import (
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What devices tell on their own, beyond registrations and keepalives: a subscription's
// NOTIFYs (catalog changes, alarms, positions, its end) and alarms or positions sent by
// MESSAGE. The registrar answers the device first, then puts an Event in a queue of at
// most MaxPendingEvents, which one goroutine hands, in order, to Config.Events. A full
// queue drops the event (counted in sipd_device_events_dropped_total): the device has
// its answer either way, and the SIP path never waits for the controllers.

// EventKind says what a device told.
type EventKind string

// The kinds of Event.
const (
	// EventCatalog: a catalog NOTIFY; Catalog holds its items, each with its Event
	// (ON, OFF, VLOST, DEFECT, ADD, DEL, UPDATE).
	EventCatalog EventKind = "Catalog"
	// EventAlarm: an alarm, in a NOTIFY or by MESSAGE; Alarm holds it.
	EventAlarm EventKind = "Alarm"
	// EventPosition: a position report, in a NOTIFY or by MESSAGE; Position holds it.
	EventPosition EventKind = "MobilePosition"
	// EventNotified: a NOTIFY with nothing more to tell than that the subscription is
	// alive (the first NOTIFY of an alarm subscription, the one after a refresh).
	EventNotified EventKind = "Notified"
	// EventSubscriptionEnded: the device ended a subscription (a NOTIFY with
	// Subscription-State terminated); Reason is the state's reason parameter.
	EventSubscriptionEnded EventKind = "SubscriptionEnded"
)

// Event is one thing a device told, after the registrar answered it.
type Event struct {
	Kind EventKind
	// DeviceID is the registered device: the subscription's, or the MESSAGE's sender.
	DeviceID string
	// Owner is the owner of the binding the subscription was made through, or of the
	// sender's binding (DeviceRef.Owner).
	Owner string
	// CallID and Subscription name the subscription of a NOTIFY; both are empty for a
	// MESSAGE.
	CallID       string
	Subscription SubscriptionKind
	// At is when the registrar received it.
	At time.Time
	// Catalog, Alarm and Position are the body's, by Kind.
	Catalog  []manscdp.CatalogItem
	Alarm    *manscdp.Alarm
	Position *manscdp.MobilePosition
	// Time is the alarm's or position's time, read in Config.Location, the zone devices
	// set their clocks in; zero when the device wrote none, or nothing readable.
	Time time.Time
	// Reason is why a subscription ended (Subscription-State's reason, "" if none).
	Reason string
}

// EventHandler receives what devices tell (Config.Events). HandleEvent is called from
// one goroutine, in the order the events arrived; it must not block: the events behind
// it wait, and past MaxPendingEvents new ones are dropped.
type EventHandler interface {
	HandleEvent(Event)
}

// EventHandlerFunc adapts a function to an EventHandler.
type EventHandlerFunc func(Event)

// HandleEvent calls f(ev).
func (f EventHandlerFunc) HandleEvent(ev Event) { f(ev) }

// discardEvents is the EventHandler of a Server configured without one.
type discardEvents struct{}

func (discardEvents) HandleEvent(Event) {}

// eventQueue holds the events not yet handed to the handler.
type eventQueue struct {
	ch chan Event
}

func newEventQueue(size int) *eventQueue { return &eventQueue{ch: make(chan Event, size)} }

// tell queues ev for the handler, or drops it when the queue is full.
func (s *Server) tell(ev Event) {
	if _, none := s.cfg.Events.(discardEvents); none {
		return
	}
	select {
	case s.sub.events.ch <- ev:
	default:
		s.sub.metrics.eventsDropped.Inc()
		s.warnOrDebug(&s.sub.eventsDroppedLog, ev.At)("device events dropped: the handler is behind", "pending", len(s.sub.events.ch), "device", ev.DeviceID, "kind", ev.Kind)
	}
}

// deliverEvents hands queued events to the handler until the server stops.
func (s *Server) deliverEvents() {
	for {
		select {
		case ev := <-s.sub.events.ch:
			s.handleEventSafely(ev)
		case <-s.stopping:
			return
		}
	}
}

// handleEventSafely calls the handler; a panic in it is logged, and the delivery goes
// on with the next event.
func (s *Server) handleEventSafely(ev Event) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("device event handler panicked", "device", ev.DeviceID, "kind", ev.Kind, "panic", r)
		}
	}()
	s.cfg.Events.HandleEvent(ev)
}
