package sipdtest

import (
	"sync"

	"github.com/gb28181/camera-operator/sipd"
)

// Store is a static in-memory sipd.CredentialStore: device ID to credentials, safe to
// change while the registrar reads it, so a test can add a device or change a password
// between two registrations.
type Store struct {
	mu    sync.RWMutex
	creds map[string]sipd.Credentials
}

var _ sipd.CredentialStore = (*Store)(nil)

// NewStore returns a store that knows the devices of passwords (device ID to password).
func NewStore(passwords map[string]string) *Store {
	s := &Store{creds: make(map[string]sipd.Credentials, len(passwords))}
	for id, pw := range passwords {
		s.creds[id] = sipd.Credentials{Password: pw}
	}
	return s
}

// SetPassword declares deviceID with password.
func (s *Store) SetPassword(deviceID, password string) {
	s.Set(deviceID, sipd.Credentials{Password: password})
}

// Set declares deviceID with c.
func (s *Store) Set(deviceID string, c sipd.Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[deviceID] = c
}

// LookupCredentials returns the credentials of deviceID, or sipd.ErrUnknownDevice.
func (s *Store) LookupCredentials(deviceID string) (sipd.Credentials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.creds[deviceID]
	if !ok {
		return sipd.Credentials{}, sipd.ErrUnknownDevice
	}
	return c, nil
}

// OnePassword is a store that gives every device ID the same password and keeps nothing
// per device, so that a heap measurement sees the registrar's memory alone.
type OnePassword string

var _ sipd.CredentialStore = OnePassword("")

// LookupCredentials returns the password for any device ID.
func (p OnePassword) LookupCredentials(string) (sipd.Credentials, error) {
	return sipd.Credentials{Password: string(p)}, nil
}
