package camera

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// DefaultSecretKey is the Secret key read when credentialsSecretRef.key is empty (the
// API defaults it, but objects written before the default existed may lack it).
const DefaultSecretKey = "password"

// CredentialStore implements sipd.CredentialStore from memory: Cameras from the
// manager's informer cache, passwords from the data of the Secrets Cameras reference,
// which the reconciler keeps (see secretData). A REGISTER costs map lookups, never an
// API call. It answers ErrStoreNotReady until the cache has synced and the registrar's
// bindings were seeded from Camera status, which happens only on the elected leader, and
// for a device whose Secret the reconciler has not read yet (it is asked to).
type CredentialStore struct {
	reader  client.Reader
	secrets *secretData
	changes *devices.Changes

	readyOnce sync.Once
	ready     chan struct{}
}

var _ sipd.CredentialStore = (*CredentialStore)(nil)

// NewCredentialStore returns a store reading mgr's cache, and Secrets through mgr's API
// reader. It serves nothing until SetupWithManager's seeding has run on the leader.
func NewCredentialStore(mgr manager.Manager) *CredentialStore {
	return newCredentialStore(mgr.GetCache(), mgr.GetAPIReader())
}

func newCredentialStore(cache, api client.Reader) *CredentialStore {
	return &CredentialStore{reader: cache, secrets: newSecretData(api, defaultMaxCachedSecrets), ready: make(chan struct{})}
}

// markReady opens the store; called once the bindings are seeded.
func (s *CredentialStore) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }

// Ready is closed once the store serves lookups.
func (s *CredentialStore) Ready() <-chan struct{} { return s.ready }

// CachedSecrets is the number of Secrets whose data the store keeps.
func (s *CredentialStore) CachedSecrets() int { return s.secrets.len() }

func (s *CredentialStore) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// LookupCredentials implements sipd.CredentialStore. The credentials' Owner is the UID
// of the Camera that declared them.
func (s *CredentialStore) LookupCredentials(deviceID string) (sipd.Credentials, error) {
	if !s.isReady() {
		return sipd.Credentials{}, sipd.ErrStoreNotReady
	}
	// The cache is in memory: the context only guards against a cache that was stopped.
	ctx := context.Background()
	cams, err := devices.CamerasWithID(ctx, s.reader, deviceID)
	if err != nil {
		return sipd.Credentials{}, fmt.Errorf("%w: %w", sipd.ErrStoreNotReady, err)
	}
	cam := devices.Elect(cams)
	if cam == nil {
		return sipd.Credentials{}, sipd.ErrUnknownDevice
	}
	owner := string(cam.UID)
	if cam.Spec.Suspend {
		return sipd.Credentials{Username: cam.Spec.Username, Suspended: true, Owner: owner}, nil
	}
	name, key := secretKeyOf(cam)
	data, ok := s.secrets.cached(name)
	if !ok {
		if err := s.reader.Get(ctx, name, secretMetadata(), client.UnsafeDisableDeepCopy); apierrors.IsNotFound(err) {
			return sipd.Credentials{}, fmt.Errorf("%w: Secret %q not found in namespace %q", sipd.ErrNoCredentials, name.Name, name.Namespace)
		}
		// Not read yet: ask the reconciler to, and the device to come back.
		if s.changes != nil {
			s.changes.Notify(deviceID)
		}
		return sipd.Credentials{}, fmt.Errorf("%w: Secret %q not read yet", sipd.ErrStoreNotReady, name.Name)
	}
	// Every REGISTER comes here twice (its challenge, then its answer): the password is
	// read straight from the data, and passwordIn's messages are written only to say
	// what is wrong.
	if pw := data[key]; len(pw) > 0 {
		return sipd.Credentials{Username: cam.Spec.Username, Password: string(pw), Owner: owner}, nil
	}
	res := passwordIn(data, name.Name, key)
	return sipd.Credentials{}, fmt.Errorf("%w: %s", sipd.ErrNoCredentials, res.message)
}
