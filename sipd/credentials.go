package sipd

import "errors"

// Credentials are what the registrar needs to authenticate one device.
type Credentials struct {
	// Username is a digest user name accepted besides the device ID ("" for none).
	Username string
	// Password is the device's SIP digest password.
	Password string
	// Suspended devices are refused with 403 without checking their digest.
	Suspended bool
	// Owner identifies who declared these credentials; a registration they accept
	// carries it as Binding.Owner. Opaque to the registrar.
	Owner string
}

// CredentialStore answers credential lookups from memory. The registrar calls it on
// every REGISTER, so implementations must never call a remote API.
type CredentialStore interface {
	// LookupCredentials returns the credentials of deviceID, or ErrUnknownDevice,
	// ErrNoCredentials or ErrStoreNotReady.
	LookupCredentials(deviceID string) (Credentials, error)
}

// Errors a CredentialStore returns; the registrar maps each to its SIP answer.
var (
	// ErrUnknownDevice: no device is declared with this ID (404 Not Found).
	ErrUnknownDevice = errors.New("sipd: unknown device")
	// ErrNoCredentials: the device is declared but its password cannot be resolved,
	// such as a missing Secret (403 Forbidden).
	ErrNoCredentials = errors.New("sipd: device has no usable credentials")
	// ErrStoreNotReady: the store has not loaded yet (503 Service Unavailable).
	ErrStoreNotReady = errors.New("sipd: credential store not ready")
)
