package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// idleRegistrar is a Registrar of which only Ready may be used: any other method
// panics (the embedded nil interface), failing the test.
type idleRegistrar struct {
	Registrar
	ready chan struct{}
}

func (r idleRegistrar) Ready() <-chan struct{} { return r.ready }

// untouchable is a client.Reader that fails the test when read.
type untouchable struct {
	client.Reader
	t *testing.T
}

func (u untouchable) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	u.t.Error("a Stream read before the registrar serves")
	return errors.New("read too early")
}

// TestReconcileWaitsForTheRegistrar: no Stream is read, ended or invited before the
// registrar serves (a BYE would fail, and the dialog be forgotten unended); then
// reconciles proceed.
func TestReconcileWaitsForTheRegistrar(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := gbv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	reg := idleRegistrar{ready: make(chan struct{})}
	r := &reconciler{client: c, api: c, reader: untouchable{t: t}, reg: reg, written: newStaleVersions(), slots: newStreamSlots(), ssrcs: newSSRCBook()}
	req := ctrl.Request{}
	req.Namespace, req.Name = "ns", "live"

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.Reconcile(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reconcile before the registrar serves: %v, want it to wait until its context ends", err)
	}

	close(reg.ready)
	r.reader = c
	if res, err := r.Reconcile(t.Context(), req); err != nil || res != (ctrl.Result{}) {
		t.Fatalf("reconcile of a missing Stream once the registrar serves: %+v, %v", res, err)
	}
}
