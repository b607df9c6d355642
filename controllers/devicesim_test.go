package controllers

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/sipd"
)

// Helpers of the tests of what a device tells of itself (its status, clock, keepalive
// settings, guard and presets): camsim devices in process under Cameras of their own.

// deviceOpts give the device's own queries a short timeout, so a device that reboots
// instead of answering costs the tests seconds, not the default's ten.
var deviceOpts = camera.Options{DeviceQueryTimeout: 2 * time.Second}

// deviceCamera creates a Camera for id, with a keepalive contract of a minute unless
// mut changes it, and a camsim device for it (not yet registered).
func deviceCamera(t *testing.T, c client.Client, op *operator, ns, name, id string, cfg sim.Config, mut ...func(*gbv1.Camera)) *sim.Device {
	t.Helper()
	createSecret(t, c, ns, name+"-sip", map[string]string{"password": "pw"})
	mut = append([]func(*gbv1.Camera){func(cam *gbv1.Camera) {
		cam.Spec.Keepalive = gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: time.Minute}}
	}}, mut...)
	createCamera(t, c, ns, name, id, name+"-sip", mut...)
	waitKnown(t, op, id)
	cfg.ID, cfg.Password, cfg.Server, cfg.LocalIP = id, "pw", op.addr(), "127.0.0.1"
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 3 * time.Second
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	dev, err := sim.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	return dev
}

// registerDevice registers dev by hand (no keepalives: the Camera's contract of a
// minute outlasts the test) and waits for its Camera to be Registered.
func registerDevice(t *testing.T, c client.Client, dev *sim.Device, ns, name string) *gbv1.Camera {
	t.Helper()
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return waitCamera(t, c, ns, name, 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
}

// reregister ends dev's registration and makes a new one, as a device that restarted,
// in a later second than the last (status.registration.registeredAt is in seconds).
func reregister(t *testing.T, dev *sim.Device) {
	t.Helper()
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	if err := dev.Unregister(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// runDevice runs dev's whole life (registration, keepalives at its own interval,
// registering again after a reboot) until the test ends.
func runDevice(t *testing.T, dev *sim.Device) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = dev.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// configCounter counts the DeviceConfigs a device took (its OnState).
type configCounter struct{ n atomic.Int64 }

func (cc *configCounter) onState(s sim.DeviceState) {
	if strings.HasPrefix(s.LastCommand, "DeviceConfig") {
		cc.n.Add(1)
	}
}

// ownerRef names a device on behalf of its Camera, as the operator does.
func ownerRef(cam *gbv1.Camera) sipd.DeviceRef {
	return sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)}
}
