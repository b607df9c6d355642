package sipdtest

import (
	"sync"

	"github.com/gb28181/camera-operator/sipd"
)

// Store is an in-memory sipd.CredentialStore: device ID to credentials, safe to change
// while the registrar reads it, so a test can add a device, change a password, or take
// the store through the states the operator's store has: not loaded yet
// (sipd.ErrStoreNotReady), a device declared without usable credentials
// (sipd.ErrNoCredentials), a device unknown (sipd.ErrUnknownDevice).
type Store struct {
	mu       sync.RWMutex
	creds    map[string]sipd.Credentials
	unusable map[string]bool
	notReady bool
}

var _ sipd.CredentialStore = (*Store)(nil)

// NewStore returns a ready store that knows the devices of passwords (device ID to
// password).
func NewStore(passwords map[string]string) *Store {
	s := &Store{creds: make(map[string]sipd.Credentials, len(passwords)), unusable: make(map[string]bool)}
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
	delete(s.unusable, deviceID)
}

// SetNoCredentials declares deviceID without usable credentials, as the operator's
// store does for a Camera whose Secret is missing: lookups return sipd.ErrNoCredentials
// until Set declares it again.
func (s *Store) SetNoCredentials(deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creds, deviceID)
	s.unusable[deviceID] = true
}

// Remove forgets deviceID: lookups return sipd.ErrUnknownDevice.
func (s *Store) Remove(deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creds, deviceID)
	delete(s.unusable, deviceID)
}

// SetReady sets whether the store has loaded; until it has, every lookup returns
// sipd.ErrStoreNotReady, as the operator's store does before its caches sync. A new
// store is ready.
func (s *Store) SetReady(ready bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notReady = !ready
}

// LookupCredentials returns the credentials of deviceID, or sipd.ErrStoreNotReady,
// sipd.ErrNoCredentials or sipd.ErrUnknownDevice.
func (s *Store) LookupCredentials(deviceID string) (sipd.Credentials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.notReady:
		return sipd.Credentials{}, sipd.ErrStoreNotReady
	case s.unusable[deviceID]:
		return sipd.Credentials{}, sipd.ErrNoCredentials
	}
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
