package sipd

// Notifier learns which devices changed. The registrar calls Notify from its SIP path
// after every change a Camera's status could show (a registration, a refresh that is not
// quiet, an unregistration, an expiry, an authentication failure, a keepalive that is
// not quiet, a Notify, a query answer), so it must not block: the controllers hand it a
// deduplicating workqueue, whose Add returns at once. What changed is not carried; the
// receiver reads the device's current state with Server.Device. Two changes of a device
// before the receiver looked are one notification.
type Notifier interface {
	Notify(deviceID string)
}

// DetailNotifier is implemented by a Notifier that wants to tell changes of detail from
// changes of state: keepalives and same-place refreshes, which move times but not what a
// device is, reach it through NotifyDetail, so that it can serve them after the
// registrations, unregistrations and failures of a fleet re-registering at once. A
// Notifier without it hears of everything through Notify.
type DetailNotifier interface {
	NotifyDetail(deviceID string)
}

// NotifyFunc adapts a function to a Notifier.
type NotifyFunc func(deviceID string)

// Notify calls f(deviceID).
func (f NotifyFunc) Notify(deviceID string) { f(deviceID) }

// discardNotifier is the Notifier of a Server configured without one.
type discardNotifier struct{}

func (discardNotifier) Notify(string) {}

// notify tells the Notifier that deviceID's state changed.
func (s *Server) notify(deviceID string) {
	s.metrics.notifications.Inc()
	s.notifier.Notify(deviceID)
}

// notifyDetail tells the Notifier that a detail of deviceID changed (see DetailNotifier).
func (s *Server) notifyDetail(deviceID string) {
	s.metrics.notifications.Inc()
	if d, ok := s.notifier.(DetailNotifier); ok {
		d.NotifyDetail(deviceID)
		return
	}
	s.notifier.Notify(deviceID)
}
