package sipd

import "time"

// What the registrar tells of registrations: a device's Binding and DeviceState, and
// the Server methods that read, seed, quiet and drop them. The table behind them is
// binding_table.go.

// Binding is a device's live registration: where it is and until when.
type Binding struct {
	DeviceID string
	// Owner is the Credentials.Owner of the credentials that accepted the registration
	// (for the operator, the UID of the Camera whose Secret it was), so the controllers
	// can tell whose binding it is without keeping a map of their own.
	Owner string
	// Transport is "UDP" or "TCP".
	Transport string
	// RemoteAddr is the source "ip:port" of the REGISTER; requests to the device go there
	// (over TCP, on the device's own connection while it is open).
	RemoteAddr    string
	Contact       string
	UserAgent     string
	CallID        string
	RegisteredAt  time.Time
	ExpiresAt     time.Time
	Expires       time.Duration // granted lifetime
	LastKeepalive time.Time     // zero until the first keepalive
}

// DeviceState is a snapshot of what the registrar knows of one device.
type DeviceState struct {
	// Binding is the live registration, nil when the device is not registered.
	Binding *Binding
	// LastAuthFailure and AuthFailureReason describe the latest failed REGISTER, if any
	// since the last successful one.
	LastAuthFailure   time.Time
	AuthFailureReason string
	// LastUnregistered is when the device last unregistered (zero if never).
	LastUnregistered time.Time
	// LastExpired is when the device's registration last ran out (zero if never).
	LastExpired time.Time
}

// Device returns what the registrar knows of deviceID.
func (s *Server) Device(deviceID string) DeviceState { return s.table.snapshot(deviceID) }

// Seed installs bindings recovered from durable state (the Cameras' status) so that a
// restarted registrar answers keepalives of still-registered devices. Expired ones are
// ignored, and so are ones older than a live binding of the same device.
func (s *Server) Seed(bindings []Binding) {
	n := s.table.seed(bindings, s.now())
	s.log.Info("seeded bindings", "offered", len(bindings), "installed", n)
}

// Drop forgets deviceID: its binding (Camera deleted or suspended) and what the
// registrar remembers of its failures. Its next keepalive gets 404.
func (s *Server) Drop(deviceID string) {
	s.table.drop(deviceID, "")
}

// DropOwned removes deviceID's binding only if owner's credentials accepted it (see
// Credentials.Owner), and reports whether it did. A Camera deleted after another one
// took the device over must not end the new owner's registration.
func (s *Server) DropOwned(deviceID, owner string) bool {
	if owner == "" {
		return false
	}
	return s.table.drop(deviceID, owner)
}

// Quiet tells the registrar that until the given time, keepalives and same-place
// refreshes of deviceID's registration made at registeredAt change nothing the
// Notifier needs to hear of: they update the registration table only. A new
// registration, an unregistration, an expiry, or the first keepalive of a registration
// are always signalled. It reports false when the device holds no such registration.
func (s *Server) Quiet(deviceID string, registeredAt, until time.Time) bool {
	return s.table.quiet(deviceID, registeredAt, until)
}
