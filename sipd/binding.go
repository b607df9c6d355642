package sipd

import "time"

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
