package endpoints

import (
	"context"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/gb28181/camera-operator/internal/controllertest"
)

func TestMain(m *testing.M) { controllertest.Main(m) }

// stopWatcher is a registrar that serves at once on a fixed port and, when told to
// stop, reports whom the SIP Service's slice routed to at that moment.
type stopWatcher struct {
	ready     chan struct{}
	sliceSeen func() string
	seen      chan string
}

func (w *stopWatcher) Start(ctx context.Context) error {
	close(w.ready)
	<-ctx.Done()
	w.seen <- w.sliceSeen()
	return nil
}
func (w *stopWatcher) Ready() <-chan struct{} { return w.ready }
func (w *stopWatcher) UDPAddr() string        { return "127.0.0.1:5060" }

// TestSIPEndpointWithdrawnBeforeRegistrarStops: by the time the registrar is told to
// stop, the slice no longer routes to it, so no device is sent to a closed port.
func TestSIPEndpointWithdrawnBeforeRegistrarStops(t *testing.T) {
	t.Parallel()
	c := controllertest.ControlPlane(t)
	ns := controllertest.NewNamespace(t, c)
	const service = "sip"
	mgr, err := ctrl.NewManager(controllertest.RestConfig(t), ctrl.Options{
		Scheme:                 controllertest.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &stopWatcher{ready: make(chan struct{}), seen: make(chan string, 1), sliceSeen: func() string {
		var s discoveryv1.EndpointSlice
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: SliceName(service)}, &s); err != nil {
			return err.Error()
		}
		return controllertest.PodsOf(&s)
	}}
	ep := Config{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1"}
	if err := AddRegistrar(mgr, srv, ep); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	controllertest.WaitSlice(t, c, ns, service, 10*time.Second, controllertest.PublishedAt(service, "pod-a", "192.0.2.1", 5060))

	cancel()
	select {
	case seen := <-srv.seen:
		if seen != "" {
			t.Errorf("when the registrar was told to stop the slice routed to %q, want nothing", seen)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the registrar was not stopped")
	}
	if err := <-done; err != nil {
		t.Errorf("manager: %v", err)
	}
}
