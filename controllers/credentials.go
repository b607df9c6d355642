package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// DefaultSecretKey is the Secret key read when credentialsSecretRef.key is empty (the
// API defaults it, but objects written before the default existed may lack it).
const DefaultSecretKey = "password"

// CredentialStore implements sipd.CredentialStore from the manager's informer cache:
// a REGISTER costs map lookups, never an API call. It answers ErrStoreNotReady until
// the cache has synced and the registrar's bindings were seeded from Camera status, which
// happens only on the elected leader; Ready doubles as the readiness probe for that
// reason, so a Service sends SIP traffic only to the leader.
type CredentialStore struct {
	reader client.Reader

	readyOnce sync.Once
	ready     chan struct{}
}

var _ sipd.CredentialStore = (*CredentialStore)(nil)

// NewCredentialStore returns a store reading mgr's cache. It serves nothing until
// SetupWithManager's seeding has run on the leader.
func NewCredentialStore(mgr manager.Manager) *CredentialStore {
	return newCredentialStore(mgr.GetCache())
}

func newCredentialStore(r client.Reader) *CredentialStore {
	return &CredentialStore{reader: r, ready: make(chan struct{})}
}

// markReady opens the store; called once the bindings are seeded.
func (s *CredentialStore) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }

// Ready is closed once the store serves lookups.
func (s *CredentialStore) Ready() <-chan struct{} { return s.ready }

func (s *CredentialStore) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// Checker is a controller-runtime healthz.Checker for the readiness probe: it fails
// until this replica leads, has synced its cache and seeded the registrar.
func (s *CredentialStore) Checker(_ *http.Request) error {
	if !s.isReady() {
		return errors.New("credential store not ready: not the leader, or bindings not seeded yet")
	}
	return nil
}

// LookupCredentials implements sipd.CredentialStore.
func (s *CredentialStore) LookupCredentials(deviceID string) (sipd.Credentials, error) {
	if !s.isReady() {
		return sipd.Credentials{}, sipd.ErrStoreNotReady
	}
	// The cache is in memory: the context only guards against a cache that was stopped.
	ctx := context.Background()
	cams, err := camerasWithDeviceID(ctx, s.reader, deviceID)
	if err != nil {
		return sipd.Credentials{}, fmt.Errorf("%w: %w", sipd.ErrStoreNotReady, err)
	}
	cam := elect(cams)
	if cam == nil {
		return sipd.Credentials{}, sipd.ErrUnknownDevice
	}
	if cam.Spec.Suspend {
		return sipd.Credentials{Username: cam.Spec.Username, Suspended: true}, nil
	}
	res := resolveSecret(ctx, s.reader, cam)
	if !res.ok {
		return sipd.Credentials{}, fmt.Errorf("%w: %s", sipd.ErrNoCredentials, res.message)
	}
	return sipd.Credentials{Username: cam.Spec.Username, Password: res.password}, nil
}

// secretResolution is the outcome of reading a Camera's Secret.
type secretResolution struct {
	ok       bool
	reason   string // a gbv1.Reason*
	message  string
	password string
}

// resolveSecret reads the password of cam from its Secret in the cache.
func resolveSecret(ctx context.Context, r client.Reader, cam *gbv1.Camera) secretResolution {
	ref := cam.Spec.CredentialsSecretRef
	key := ref.Key
	if key == "" {
		key = DefaultSecretKey
	}
	var secret corev1.Secret
	err := r.Get(ctx, types.NamespacedName{Namespace: cam.Namespace, Name: ref.Name}, &secret, client.UnsafeDisableDeepCopy)
	switch {
	case apierrors.IsNotFound(err):
		return secretResolution{reason: gbv1.ReasonSecretNotFound,
			message: fmt.Sprintf("Secret %q not found in namespace %q", ref.Name, cam.Namespace)}
	case err != nil:
		return secretResolution{reason: gbv1.ReasonSecretNotFound,
			message: fmt.Sprintf("Secret %q cannot be read: %v", ref.Name, err)}
	}
	pw, ok := secret.Data[key]
	if !ok {
		return secretResolution{reason: gbv1.ReasonKeyNotFound,
			message: fmt.Sprintf("Secret %q has no key %q", ref.Name, key)}
	}
	if len(pw) == 0 {
		return secretResolution{reason: gbv1.ReasonKeyNotFound,
			message: fmt.Sprintf("key %q of Secret %q is empty", key, ref.Name)}
	}
	return secretResolution{ok: true, reason: gbv1.ReasonResolved,
		message: fmt.Sprintf("password read from key %q of Secret %q", key, ref.Name), password: string(pw)}
}
