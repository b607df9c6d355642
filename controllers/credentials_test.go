package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
)

// lookupEventually polls the store until check accepts its answer: the store reads the
// informer cache, which follows the API server by a few milliseconds.
func lookupEventually(t *testing.T, store *camera.CredentialStore, id string, what string, check func(sipd.Credentials, error) error) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, what, func() error { return check(store.LookupCredentials(id)) })
}

func wantErr(target error) func(sipd.Credentials, error) error {
	return func(_ sipd.Credentials, err error) error {
		if !errors.Is(err, target) {
			return fmt.Errorf("lookup error %v, want %v", err, target)
		}
		return nil
	}
}

func wantPassword(pw string) func(sipd.Credentials, error) error {
	return func(c sipd.Credentials, err error) error {
		if err != nil || c.Password != pw || c.Suspended {
			return fmt.Errorf("lookup = %+v, %v; want password %q", c, err, pw)
		}
		return nil
	}
}

// TestMissingSecret: a missing Secret, then a Secret without the key, then the key.
func TestMissingSecret(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001320000011"
	createCamera(t, c, ns, "door", id, "door-sip", func(cam *gbv1.Camera) {
		cam.Spec.CredentialsSecretRef.Key = "sip-password"
		cam.Spec.Catalog.Disabled = true
	})
	cam := waitCamera(t, c, ns, "door", 10*time.Second, inState(gbv1.StatePending, gbv1.ConditionCredentialsResolved, gbv1.ReasonSecretNotFound))
	if cond := findCondition(cam, gbv1.ConditionReady); cond == nil || cond.Reason != gbv1.ReasonSecretNotFound || !strings.Contains(cond.Message, "door-sip") {
		t.Errorf("Ready must say the Secret is missing: %+v", cond)
	}
	lookupEventually(t, op.store, id, "no credentials without the Secret", wantErr(sipd.ErrNoCredentials))
	dev := newDevice(t, op, id, "pw")
	if code := register(t, dev); code != 403 {
		t.Errorf("REGISTER without a Secret: %d, want 403", code)
	}

	createSecret(t, c, ns, "door-sip", map[string]string{"password": "pw"})
	cam = waitCamera(t, c, ns, "door", 10*time.Second, inState(gbv1.StateAuthFailed, gbv1.ConditionCredentialsResolved, gbv1.ReasonKeyNotFound))
	if cond := findCondition(cam, gbv1.ConditionCredentialsResolved); !strings.Contains(cond.Message, "sip-password") {
		t.Errorf("message must name the missing key: %q", cond.Message)
	}
	lookupEventually(t, op.store, id, "no credentials without the key", wantErr(sipd.ErrNoCredentials))

	setSecret(t, c, ns, "door-sip", map[string]string{"sip-password": "pw"})
	waitCamera(t, c, ns, "door", 10*time.Second, inState(gbv1.StateAuthFailed, gbv1.ConditionCredentialsResolved, gbv1.ReasonResolved))
	lookupEventually(t, op.store, id, "credentials from the key", wantPassword("pw"))
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER once the Secret is right: %d", code)
	}
	waitCamera(t, c, ns, "door", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	waitEvents(t, c, ns, "door", "AuthenticationFailed", "Registered")

	if _, err := op.store.LookupCredentials("34020000001320009999"); !errors.Is(err, sipd.ErrUnknownDevice) {
		t.Errorf("unknown device: %v, want ErrUnknownDevice", err)
	}
}

// TestSecretRotation: a new password applies to the next REGISTER; the live
// registration stays until then.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001320000021"
	createSecret(t, c, ns, "yard-sip", map[string]string{"password": "old"})
	createCamera(t, c, ns, "yard", id, "yard-sip", func(cam *gbv1.Camera) {
		cam.Spec.Username = "admin"
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Catalog.Disabled = true
	})
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "old")
	dev.Username = "admin"
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER as admin: %d", code)
	}
	waitCamera(t, c, ns, "yard", 10*time.Second, inState(gbv1.StateRegistered, "", ""))

	setSecret(t, c, ns, "yard-sip", map[string]string{"password": "new"})
	lookupEventually(t, op.store, id, "rotated password served", wantPassword("new"))
	if code := register(t, dev); code == 200 {
		t.Fatal("REGISTER with the old password accepted after rotation")
	}
	if code := keepalive(t, dev); code != 200 {
		t.Errorf("the live registration must survive a failed refresh: keepalive %d", code)
	}
	waitEvents(t, c, ns, "yard", "AuthenticationFailed")
	if cam := getCamera(t, c, ns, "yard"); cam.Status.State != gbv1.StateRegistered {
		t.Errorf("state %s after a failed refresh of a live registration, want Registered", cam.Status.State)
	}

	dev.Password = "new"
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER with the new password: %d", code)
	}
}

// TestDuplicateDeviceID: the oldest Camera wins, across namespaces; the other is
// Conflict and not served, until the winner is deleted.
func TestDuplicateDeviceID(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns1, ns2 := newNamespace(t, c), newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns1, ns2}})

	const id = "34020000001320000031"
	createSecret(t, c, ns1, "sip", map[string]string{"password": "first"})
	createSecret(t, c, ns2, "sip", map[string]string{"password": "second"})
	// The older Camera has the name that sorts last, so age, not name, must decide.
	older := createCamera(t, c, ns1, "zz-older", id, "sip", func(cam *gbv1.Camera) { cam.Spec.Catalog.Disabled = true })
	waitCamera(t, c, ns1, "zz-older", 10*time.Second, inState(gbv1.StatePending, "", ""))
	time.Sleep(1100 * time.Millisecond) // creationTimestamp has one-second precision
	createCamera(t, c, ns2, "aa-newer", id, "sip", func(cam *gbv1.Camera) { cam.Spec.Catalog.Disabled = true })

	cam := waitCamera(t, c, ns2, "aa-newer", 10*time.Second, inState(gbv1.StateConflict, gbv1.ConditionReady, gbv1.ReasonDuplicateDeviceID))
	// The winner lives in another namespace, whose Cameras the loser's users may not
	// know of: the message says so without naming it.
	if msg := findCondition(cam, gbv1.ConditionReady).Message; !strings.Contains(msg, "another namespace") || strings.Contains(msg, ns1) || strings.Contains(msg, "zz-older") {
		t.Errorf("the conflict message must say the winner is in another namespace, and not name it: %q", msg)
	}
	lookupEventually(t, op.store, id, "the winner's password is served", wantPassword("first"))

	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "second")
	if code := register(t, dev); code == 200 {
		t.Fatal("REGISTER with the losing Camera's password accepted")
	}
	dev.Password = "first"
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER with the winner's password: %d", code)
	}
	waitCamera(t, c, ns1, "zz-older", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
	if cam := getCamera(t, c, ns2, "aa-newer"); cam.Status.State != gbv1.StateConflict || cam.Status.Registration != nil {
		t.Errorf("the loser must stay Conflict without a registration: %+v", cam.Status)
	}
	waitEvents(t, c, ns2, "aa-newer", "DuplicateDeviceID")

	// The winner goes: its binding is dropped, the other Camera takes the ID over.
	deleteObject(t, c, older)
	waitCamera(t, c, ns2, "aa-newer", 10*time.Second, inState(gbv1.StatePending, "", ""))
	testutil.Eventually(t, 10*time.Second, "the old binding dropped", func() error {
		if code := keepalive(t, dev); code != 404 {
			return fmt.Errorf("keepalive %d, want 404", code)
		}
		return nil
	})
	lookupEventually(t, op.store, id, "the new owner's password is served", wantPassword("second"))
	dev.Password = "second"
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER with the new owner's password: %d", code)
	}
	waitCamera(t, c, ns2, "aa-newer", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
}

// TestSuspend: suspending drops the live registration and refuses new ones.
func TestSuspend(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001320000041"
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "lobby", id, "sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Catalog.Disabled = true
	})
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	waitCamera(t, c, ns, "lobby", 10*time.Second, inState(gbv1.StateRegistered, "", ""))

	setSuspend(t, c, ns, "lobby", true)
	cam := waitCamera(t, c, ns, "lobby", 10*time.Second, inState(gbv1.StateSuspended, gbv1.ConditionReady, gbv1.ReasonSuspended))
	if cam.Status.ObservedGeneration != cam.Generation {
		t.Errorf("observedGeneration %d, generation %d", cam.Status.ObservedGeneration, cam.Generation)
	}
	if code := keepalive(t, dev); code != 404 {
		t.Errorf("keepalive of a suspended device: %d, want 404", code)
	}
	if code := register(t, dev); code != 403 {
		t.Errorf("REGISTER of a suspended device: %d, want 403", code)
	}
	waitEvents(t, c, ns, "lobby", "Suspended")

	setSuspend(t, c, ns, "lobby", false)
	waitCamera(t, c, ns, "lobby", 10*time.Second, inState(gbv1.StatePending, gbv1.ConditionRegistered, gbv1.ReasonPending))
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER after resuming: %d", code)
	}
	waitCamera(t, c, ns, "lobby", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
}

// TestDeletion: deleting a Camera drops its binding: the next keepalive gets 404 and a
// REGISTER gets 404 (unknown device).
func TestDeletion(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001320000051"
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})
	cam := createCamera(t, c, ns, "hall", id, "sip", func(cam *gbv1.Camera) { cam.Spec.Catalog.Disabled = true })
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	waitCamera(t, c, ns, "hall", 10*time.Second, inState(gbv1.StateRegistered, "", ""))
	if code := keepalive(t, dev); code != 200 {
		t.Fatalf("keepalive: %d", code)
	}

	deleteObject(t, c, cam)
	testutil.Eventually(t, 10*time.Second, "keepalive refused after deletion", func() error {
		if code := keepalive(t, dev); code != 404 {
			return fmt.Errorf("keepalive %d, want 404", code)
		}
		return nil
	})
	lookupEventually(t, op.store, id, "deleted device unknown", wantErr(sipd.ErrUnknownDevice))
	if code := register(t, dev); code != 404 {
		t.Errorf("REGISTER of a deleted device: %d, want 404", code)
	}
}

// TestSecretDataOnlyForCameras: the operator keeps the data of the Secrets Cameras name
// and of no other, and forgets a Secret that is deleted.
func TestSecretDataOnlyForCameras(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	for i := range 5 {
		createSecret(t, c, ns, fmt.Sprintf("unrelated-%d", i), map[string]string{"blob": strings.Repeat("x", 64<<10)})
	}
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	createSecret(t, c, ns, "door-sip", map[string]string{"password": "pw"})
	const id = "34020000001320000071"
	createCamera(t, c, ns, "door", id, "door-sip")
	lookupEventually(t, op.store, id, "the Camera's password served", wantPassword("pw"))
	if n := op.store.CachedSecrets(); n != 1 {
		t.Fatalf("the operator keeps the data of %d Secrets, want 1 (the Camera's)", n)
	}

	if err := c.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "door-sip"}}); err != nil {
		t.Fatal(err)
	}
	lookupEventually(t, op.store, id, "no password once the Secret is gone", func(_ sipd.Credentials, err error) error {
		if !errors.Is(err, sipd.ErrNoCredentials) {
			return fmt.Errorf("lookup error %v, want ErrNoCredentials", err)
		}
		return nil
	})
	if n := op.store.CachedSecrets(); n != 0 {
		t.Fatalf("the operator still keeps the data of %d Secrets after the Camera's was deleted", n)
	}
}

// setSuspend sets a Camera's spec.suspend with a merge patch, which the operator's
// status writes cannot make conflict.
func setSuspend(t *testing.T, c client.Client, ns, name string, suspend bool) {
	t.Helper()
	cam := getCamera(t, c, ns, name)
	orig := cam.DeepCopy()
	cam.Spec.Suspend = suspend
	if err := c.Patch(ctxT(t), cam, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
}
