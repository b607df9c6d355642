package ha

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// registerThrough registers the test's device with the registrar at addr (the SIP
// Service's address of the moment, routed to its Pod), and checks that it serves: a keepalive is answered,
// and the Camera turns Registered from this very registration (its remote address is
// the device's socket). The device is closed when the test ends.
func (e *env) registerThrough(t *testing.T, addr string) {
	t.Helper()
	d, err := sim.NewDevice(sim.Config{
		ID: deviceID, Password: devicePass, Server: addr, Transport: "udp",
		RequestTimeout: 3 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	from := d.Endpoint().LocalAddr()

	testutil.Eventually(t, 30*time.Second, "the device registers through "+addr, func() error {
		_, err := d.Register(t.Context())
		return err
	})
	if err := d.Keepalive(t.Context()); err != nil {
		t.Fatalf("keepalive through %s: %v", addr, err)
	}
	testutil.Eventually(t, 30*time.Second, "Camera "+cameraName+" Registered from "+from, func() error {
		var cam gbv1.Camera
		if err := e.c.Get(t.Context(), client.ObjectKey{Namespace: namespace, Name: cameraName}, &cam); err != nil {
			return err
		}
		st := cam.Status
		switch {
		case st.State != gbv1.StateRegistered:
			return fmt.Errorf("state %q", st.State)
		case st.Registration == nil || st.Registration.RemoteAddr != from:
			return fmt.Errorf("registration %+v, want one from %s", st.Registration, from)
		}
		return nil
	})
}
