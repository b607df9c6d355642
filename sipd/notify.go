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

// NotifyFunc adapts a function to a Notifier.
type NotifyFunc func(deviceID string)

// Notify calls f(deviceID).
func (f NotifyFunc) Notify(deviceID string) { f(deviceID) }

// discardNotifier is the Notifier of a Server configured without one.
type discardNotifier struct{}

func (discardNotifier) Notify(string) {}

// notify tells the Notifier that deviceID changed.
func (s *Server) notify(deviceID string) {
	s.metrics.notifications.Inc()
	s.notifier.Notify(deviceID)
}
