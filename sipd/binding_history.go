package sipd

import "time"

// deviceHistory is what the binding table remembers of a device's registrations that
// failed, were withdrawn or ran out: the controllers read it (DeviceState) to say why a
// device is not registered. It hangs off the device's entry only once something has
// happened, 88 bytes a device that a registered fleet does not spend.
type deviceHistory struct {
	lastAuthFailure   time.Time
	authFailureReason string
	lastUnregistered  time.Time
	lastExpired       time.Time
}

// remember returns e's history, adding it at the first event; the table's mu must be
// held.
func (e *deviceEntry) remember() *deviceHistory {
	if e.history == nil {
		e.history = &deviceHistory{}
	}
	return e.history
}
