package camera

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// defaultMaxCachedSecrets bounds the Secrets whose data the operator keeps.
const defaultMaxCachedSecrets = 1 << 17

// secretData holds the data of the Secrets that Cameras reference, and of those only.
// The informer caches Secret metadata alone (see SetupWithManager), so an unrelated
// Secret of the cluster (a Helm release, a certificate) costs the operator its metadata,
// not its data; this is cert-manager's answer to the same problem (design
// 20221205-memory-management). Data is read from the API server by the reconciler, never
// on the SIP path, and kept with the resourceVersion it was read at: a newer version in
// the metadata cache makes it stale, and the Secret's watch event reconciles the Cameras
// that use it. At most max Secrets are kept; past that the least recently used one is
// evicted and read again when next needed.
type secretData struct {
	api client.Reader // reads from the API server
	max int

	mu      sync.Mutex
	entries map[types.NamespacedName]*list.Element // of *secretEntry
	lru     list.List                              // front: most recently used
}

type secretEntry struct {
	key             types.NamespacedName
	resourceVersion string
	data            map[string][]byte
}

func newSecretData(api client.Reader, limit int) *secretData {
	return &secretData{api: api, max: limit, entries: make(map[types.NamespacedName]*list.Element)}
}

// cached returns the data of key as last read, for the SIP path: no API call, no check
// of freshness.
func (d *secretData) cached(key types.NamespacedName) (map[string][]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	el := d.entries[key]
	if el == nil {
		return nil, false
	}
	d.lru.MoveToFront(el)
	return el.Value.(*secretEntry).data, true
}

// fresh returns the data of key at resourceVersion rv, reading it from the API server
// when the kept copy is older or missing.
func (d *secretData) fresh(ctx context.Context, key types.NamespacedName, rv string) (map[string][]byte, error) {
	d.mu.Lock()
	if el := d.entries[key]; el != nil && el.Value.(*secretEntry).resourceVersion == rv {
		d.lru.MoveToFront(el)
		data := el.Value.(*secretEntry).data
		d.mu.Unlock()
		return data, nil
	}
	d.mu.Unlock()
	var s corev1.Secret
	if err := d.api.Get(ctx, key, &s); err != nil {
		if apierrors.IsNotFound(err) {
			d.forget(key)
		}
		return nil, err
	}
	d.put(key, s.ResourceVersion, s.Data)
	return s.Data, nil
}

func (d *secretData) put(key types.NamespacedName, rv string, data map[string][]byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if el := d.entries[key]; el != nil {
		e := el.Value.(*secretEntry)
		e.resourceVersion, e.data = rv, data
		d.lru.MoveToFront(el)
		return
	}
	d.entries[key] = d.lru.PushFront(&secretEntry{key: key, resourceVersion: rv, data: data})
	for len(d.entries) > d.max {
		oldest := d.lru.Back()
		d.lru.Remove(oldest)
		delete(d.entries, oldest.Value.(*secretEntry).key)
	}
}

func (d *secretData) forget(key types.NamespacedName) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if el := d.entries[key]; el != nil {
		d.lru.Remove(el)
		delete(d.entries, key)
	}
}

// len is the number of Secrets kept.
func (d *secretData) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// secretMetadata is the object to read a Secret's metadata from the cache with.
func secretMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return m
}

// secretKeyOf is the Secret a Camera names, and the key holding its password.
func secretKeyOf(cam *gbv1.Camera) (types.NamespacedName, string) {
	ref := cam.Spec.CredentialsSecretRef
	key := ref.Key
	if key == "" {
		key = DefaultSecretKey
	}
	return types.NamespacedName{Namespace: cam.Namespace, Name: ref.Name}, key
}

// secretResolution is the outcome of reading a Camera's Secret.
type secretResolution struct {
	ok       bool
	reason   string // a gbv1.Reason*
	message  string
	password string
}

// resolveSecret reads the password of cam: the Secret's metadata from the cache, its
// data from d (which reads the API server when its copy is stale).
func resolveSecret(ctx context.Context, cache client.Reader, d *secretData, cam *gbv1.Camera) secretResolution {
	name, key := secretKeyOf(cam)
	meta := secretMetadata()
	err := cache.Get(ctx, name, meta, client.UnsafeDisableDeepCopy)
	var data map[string][]byte
	if err == nil {
		data, err = d.fresh(ctx, name, meta.ResourceVersion)
	} else if apierrors.IsNotFound(err) {
		d.forget(name)
	}
	switch {
	case apierrors.IsNotFound(err):
		return secretResolution{reason: gbv1.ReasonSecretNotFound,
			message: fmt.Sprintf("Secret %q not found in namespace %q", name.Name, name.Namespace)}
	case err != nil:
		return secretResolution{reason: gbv1.ReasonSecretNotFound,
			message: fmt.Sprintf("Secret %q cannot be read: %v", name.Name, err)}
	}
	return passwordIn(data, name.Name, key)
}

// passwordIn takes the password from a Secret's data.
func passwordIn(data map[string][]byte, secretName, key string) secretResolution {
	pw, ok := data[key]
	if !ok {
		return secretResolution{reason: gbv1.ReasonKeyNotFound,
			message: fmt.Sprintf("Secret %q has no key %q", secretName, key)}
	}
	if len(pw) == 0 {
		return secretResolution{reason: gbv1.ReasonKeyNotFound,
			message: fmt.Sprintf("key %q of Secret %q is empty", key, secretName)}
	}
	return secretResolution{ok: true, reason: gbv1.ReasonResolved,
		message: fmt.Sprintf("password read from key %q of Secret %q", key, secretName), password: string(pw)}
}
