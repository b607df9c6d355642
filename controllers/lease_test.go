package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// TestLivenessLease: a registered Camera's liveness between status writes is renewed in
// a Lease named after it and owned by it (taking over the Lease a former Camera of the
// name left); a Lease deleted is created again; a Lease of that name the Camera does not
// own is left alone, and that Camera's status records its liveness instead, as with
// --liveness-leases=false.
func TestLivenessLease(t *testing.T) {
	t.Parallel()
	const interval = time.Second
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: camera.Options{KeepaliveStatusInterval: interval}})
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})

	// Someone else's Lease, named as the second Camera; and the Lease a deleted Camera
	// named as the first left behind (no garbage collector runs here).
	foreign := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("another-controller"), LeaseDurationSeconds: ptr.To(int32(15))}}
	former := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "own", Namespace: ns,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: gbv1.GroupVersion.String(), Kind: "Camera", Name: "own",
			UID: "0b5e55ed-0000-4000-8000-000000000001", Controller: ptr.To(true)}}}}
	for _, l := range []*coordinationv1.Lease{foreign, former} {
		if err := c.Create(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}

	ids := map[string]string{"own": "34020000001320000501", "taken": "34020000001320000502"}
	for name, id := range ids {
		createCamera(t, c, ns, name, id, "sip", func(cam *gbv1.Camera) {
			cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Second}
			cam.Spec.Keepalive.TimeoutCount = 10
			cam.Spec.Catalog.Disabled = true
		})
		d := newDevice(t, op, id, "pw")
		waitKnown(t, op, id)
		if code := register(t, d); code != 200 {
			t.Fatalf("%s: REGISTER %d", name, code)
		}
		keepSendingKeepalives(t, d, 200*time.Millisecond)
		waitCamera(t, c, ns, name, 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	}
	own := getCamera(t, c, ns, "own")

	renewedSince := func(since time.Time) func() error {
		return func() error {
			var l coordinationv1.Lease
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "own"}, &l); err != nil {
				return err
			}
			if !metav1.IsControlledBy(&l, own) {
				return fmt.Errorf("Lease owners %+v, want the Camera", l.OwnerReferences)
			}
			if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != ids["own"] || l.Spec.RenewTime == nil ||
				l.Spec.LeaseDurationSeconds == nil || *l.Spec.LeaseDurationSeconds != 10 {
				return fmt.Errorf("Lease spec %+v: want holder %s, 10 s, renewed", l.Spec, ids["own"])
			}
			if !l.Spec.RenewTime.After(since) {
				return fmt.Errorf("renewed at %s, not since %s", l.Spec.RenewTime.Format(time.RFC3339Nano), since.Format(time.RFC3339Nano))
			}
			return nil
		}
	}
	start := time.Now()
	testutil.Eventually(t, 10*time.Second, "the Camera's Lease renewed", renewedSince(start))
	testutil.Eventually(t, 10*time.Second, "the Camera's Lease renewed again", renewedSince(time.Now()))

	// A Lease deleted is created again at the next renewal.
	var l coordinationv1.Lease
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "own"}, &l); err != nil {
		t.Fatal(err)
	}
	deleteObject(t, c, &l)
	testutil.Eventually(t, 10*time.Second, "the deleted Lease created again", renewedSince(time.Now()))

	// The status records the liveness of the Camera whose Lease is another's, and the
	// other's Lease is untouched.
	since := time.Now()
	waitCamera(t, c, ns, "taken", 10*time.Second, func(cam *gbv1.Camera) error {
		if ka := cam.Status.LastKeepaliveTime; ka == nil || !ka.After(since.Add(interval)) {
			return fmt.Errorf("lastKeepaliveTime %v, want after %s", ka, since.Add(interval).Format(time.RFC3339))
		}
		return nil
	})
	var after coordinationv1.Lease
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(foreign), &after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != foreign.ResourceVersion || len(after.OwnerReferences) != 0 {
		t.Errorf("the foreign Lease was written: %+v", after)
	}
	// Meanwhile the status of the Camera with a Lease recorded liveness no sooner than
	// 12 intervals after it last did (status times have a resolution of a second).
	if ka0, ka1 := own.Status.LastKeepaliveTime, getCamera(t, c, ns, "own").Status.LastKeepaliveTime; ka0 != nil && ka1 != nil &&
		!ka1.Equal(ka0) && ka1.Sub(ka0.Time) < 12*interval-time.Second {
		t.Errorf("the status of the Camera with a Lease recorded keepalives %s apart (%s, %s), sooner than 12 intervals",
			ka1.Sub(ka0.Time), ka0.Format(time.RFC3339), ka1.Format(time.RFC3339))
	}
}
