package controllers

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestLifecycle walks one device through the life the issue describes: registration,
// device info and a multi-part catalog, keepalives stopping and resuming, unregistration,
// a wrong password, and the Secret being fixed.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns},
		opts: camera.Options{QueryTimeout: 5 * time.Second, QueryRetryInterval: time.Second}})

	const id = "34020000001320000001"
	createSecret(t, c, ns, "gate-sip", map[string]string{"password": "s3cret"})
	createCamera(t, c, ns, "gate", id, "gate-sip")
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StatePending, gbv1.ConditionCredentialsResolved, gbv1.ReasonResolved))

	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "s3cret")
	dev.Info = manscdp.DeviceInfo{DeviceName: "Gate", Manufacturer: "Hikvision", Model: "DS-2CD2T47", Firmware: "V5.7.3", Channel: 1}
	for i := 5; i >= 1; i-- {
		dev.Catalog = append(dev.Catalog, manscdp.CatalogItem{
			DeviceID: fmt.Sprintf("340200000013100000%02d", i), Name: fmt.Sprintf("channel %d", i),
			Status: "ON", ParentID: id, Manufacturer: "Hikvision",
		})
	}
	dev.CatalogPartSize = 2 // three MESSAGEs

	before := time.Now()
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d, want 200", code)
	}
	stopKA := keepSendingKeepalives(t, dev, 300*time.Millisecond)
	cam := waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	reg := cam.Status.Registration
	if reg == nil {
		t.Fatal("no registration in status")
	}
	if !strings.HasPrefix(reg.RemoteAddr, "127.0.0.1:") || reg.Transport != gbv1.TransportUDP ||
		reg.Expires != 3600 || !strings.Contains(reg.Contact, id) {
		t.Errorf("registration = %+v", reg)
	}
	if exp := reg.ExpiresAt.Time; exp.Before(before.Add(3599*time.Second)) || exp.After(time.Now().Add(3601*time.Second)) {
		t.Errorf("expiresAt %v is not an hour from now", exp)
	}
	if cam.Status.DeviceType != "IPC" || cam.Status.ObservedGeneration != cam.Generation {
		t.Errorf("deviceType %q observedGeneration %d", cam.Status.DeviceType, cam.Status.ObservedGeneration)
	}

	cam = waitCamera(t, c, ns, "gate", 15*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.DeviceInfo == nil || cam.Status.ChannelCount != 5 || cam.Status.CatalogUpdatedAt == nil {
			return fmt.Errorf("deviceInfo %+v channelCount %d", cam.Status.DeviceInfo, cam.Status.ChannelCount)
		}
		return nil
	})
	if want := (gbv1.DeviceInfo{Name: "Gate", Manufacturer: "Hikvision", Model: "DS-2CD2T47", Firmware: "V5.7.3", ChannelCount: 1}); *cam.Status.DeviceInfo != want {
		t.Errorf("deviceInfo = %+v, want %+v", *cam.Status.DeviceInfo, want)
	}
	if len(cam.Status.Channels) != 5 {
		t.Fatalf("channels = %+v", cam.Status.Channels)
	}
	for i, ch := range cam.Status.Channels {
		if want := fmt.Sprintf("340200000013100000%02d", i+1); ch.ID != want || ch.Name != fmt.Sprintf("channel %d", i+1) || ch.ParentID != id {
			t.Errorf("channel %d = %+v, want id %s", i, ch, want)
		}
	}

	// Keepalives stop: Offline after interval x timeoutCount (1s x 2), still registered.
	stopKA()
	cam = waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateOffline, gbv1.ConditionReady, gbv1.ReasonKeepaliveTimeout))
	if cam.Status.LastKeepaliveTime == nil {
		t.Error("Offline without lastKeepaliveTime")
	}
	if cond := findCondition(cam, gbv1.ConditionRegistered); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("an Offline device is still registered: %+v", cond)
	}

	// One keepalive brings it back.
	if code := keepalive(t, dev); code != 200 {
		t.Fatalf("keepalive: %d", code)
	}
	stopKA = keepSendingKeepalives(t, dev, 300*time.Millisecond)
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	stopKA()

	// Expires: 0.
	res, err := dev.Unregister(ctxT(t))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("unregister: %v %v", res, err)
	}
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateUnregistered, gbv1.ConditionRegistered, gbv1.ReasonUnregistered))

	// The Secret changes under the device: its password is now wrong.
	setSecret(t, c, ns, "gate-sip", map[string]string{"password": "rotated"})
	lookupEventually(t, op.store, id, "the new password served", wantPassword("rotated"))
	if code := register(t, dev); code == 200 {
		t.Fatal("REGISTER accepted with a password the Secret no longer holds")
	}
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateAuthFailed, gbv1.ConditionRegistered, gbv1.ReasonAuthenticationFailed))

	// The Secret is fixed: the next REGISTER succeeds, without a restart.
	setSecret(t, c, ns, "gate-sip", map[string]string{"password": "s3cret"})
	lookupEventually(t, op.store, id, "the fixed password served", wantPassword("s3cret"))
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER after the fix: %d", code)
	}
	waitCamera(t, c, ns, "gate", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionRegistered, gbv1.ReasonRegistered))

	waitEvents(t, c, ns, "gate", "Registered", "CatalogUpdated", "Offline", "Unregistered", "AuthenticationFailed")
}

// TestExpiry: a registration that is not refreshed runs out.
func TestExpiry(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})

	const id = "34020000001180000001"
	createSecret(t, c, ns, "nvr-sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "nvr", id, "nvr-sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Catalog.Disabled = true
	})
	waitKnown(t, op, id)
	dev := newDevice(t, op, id, "pw")
	dev.Expires = 3
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	cam := waitCamera(t, c, ns, "nvr", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	if cam.Status.DeviceType != "NVR" || cam.Status.Registration.Expires != 3 {
		t.Errorf("deviceType %q expires %d", cam.Status.DeviceType, cam.Status.Registration.Expires)
	}
	waitCamera(t, c, ns, "nvr", 10*time.Second, inState(gbv1.StateExpired, gbv1.ConditionRegistered, gbv1.ReasonRegistrationExpired))
	// The registrar sweeps expired bindings every second.
	testutil.Eventually(t, 5*time.Second, "keepalive after expiry refused", func() error {
		if code := keepalive(t, dev); code != 404 {
			return fmt.Errorf("keepalive: %d, want 404", code)
		}
		return nil
	})
	waitEvents(t, c, ns, "nvr", "Registered", "Expired")
}

func findCondition(cam *gbv1.Camera, typ string) *metav1.Condition {
	for i := range cam.Status.Conditions {
		if cam.Status.Conditions[i].Type == typ {
			return &cam.Status.Conditions[i]
		}
	}
	return nil
}

// TestNVROverTCP: an NVR simulated by camsim registers over TCP with its own User-Agent,
// and its 1200-channel catalog, sent in GB2312 over many MESSAGEs on the device's
// connection, lands in status bounded to 1000 channels with the exact count.
func TestNVROverTCP(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: camera.Options{QueryTimeout: 20 * time.Second}})

	const id = "34020000001180000002"
	createSecret(t, c, ns, "nvr-sip", map[string]string{"password": "nvr-pw"})
	createCamera(t, c, ns, "nvr", id, "nvr-sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
	})

	waitKnown(t, op, id)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := sim.NewEndpoint(sim.EndpointConfig{Server: op.srv.TCPAddr(), Transport: "tcp", LocalIP: "127.0.0.1",
		UserAgent: "Hikvision NVR V4.30", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ep.Close() })
	dev, err := sim.NewDevice(sim.Config{ID: id, Password: "nvr-pw", Endpoint: ep, Channels: 1200, CatalogPage: 40, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatalf("REGISTER over TCP: %v", err)
	}

	cam := waitCamera(t, c, ns, "nvr", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	if reg := cam.Status.Registration; reg.Transport != gbv1.TransportTCP || reg.UserAgent != "Hikvision NVR V4.30" ||
		!strings.HasPrefix(reg.RemoteAddr, "127.0.0.1:") {
		t.Errorf("registration = %+v", reg)
	}
	cam = waitCamera(t, c, ns, "nvr", 30*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.ChannelCount != 1200 || cam.Status.DeviceInfo == nil {
			return fmt.Errorf("channelCount %d deviceInfo %+v", cam.Status.ChannelCount, cam.Status.DeviceInfo)
		}
		return nil
	})
	if n := len(cam.Status.Channels); n != gbv1.MaxChannels {
		t.Errorf("%d channels in status, want %d", n, gbv1.MaxChannels)
	}
	if info := cam.Status.DeviceInfo; info.Manufacturer != "camsim 模拟器" || info.Model != "SIM-NVR" || info.ChannelCount != 1200 {
		t.Errorf("deviceInfo = %+v", info)
	}
	want := dev.Catalog()
	sort.Slice(want, func(i, j int) bool { return want[i].DeviceID < want[j].DeviceID })
	for i, ch := range cam.Status.Channels {
		if ch.ID != want[i].DeviceID || ch.Name != want[i].Name || ch.ParentID != id || ch.Address != want[i].Address {
			t.Fatalf("channel %d = %+v, want %+v", i, ch, want[i])
		}
	}
	if cam.Status.DeviceType != "NVR" {
		t.Errorf("deviceType %q", cam.Status.DeviceType)
	}
}
