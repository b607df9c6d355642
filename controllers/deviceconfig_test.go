package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// noKeepaliveSpec leaves spec.keepalive empty: the device's own settings decide.
func noKeepaliveSpec(cam *gbv1.Camera) { cam.Spec.Keepalive = gbv1.KeepaliveSpec{} }

// configureKeepalive asks the operator to write interval and count to the device.
func configureKeepalive(interval time.Duration, count int32) func(*gbv1.Camera) {
	return func(cam *gbv1.Camera) {
		cam.Spec.Keepalive = gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: interval}, TimeoutCount: count, ConfigureDevice: true}
	}
}

// hasSettings checks status.deviceConfig.
func hasSettings(cam *gbv1.Camera, interval time.Duration, count int32) error {
	dc := cam.Status.DeviceConfig
	if dc == nil || dc.HeartbeatInterval == nil {
		return fmt.Errorf("deviceConfig %+v", dc)
	}
	if dc.HeartbeatInterval.Duration != interval || dc.HeartbeatCount != count {
		return fmt.Errorf("deviceConfig says %v x %d, want %v x %d", dc.HeartbeatInterval.Duration, dc.HeartbeatCount, interval, count)
	}
	return nil
}

// TestOfflineDeadlineFromTheDevice: under a Camera without spec.keepalive, the device's
// own settings (2s, 2 missed) reach status.deviceConfig and make the Offline deadline:
// the device stays Registered while it keeps alive at its pace, and is Offline 4s after
// it falls silent, not after the default 3 minutes.
func TestOfflineDeadlineFromTheDevice(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})
	const id = "34020000001320000411"
	dev := deviceCamera(t, c, op, ns, "own", id, sim.Config{KeepaliveInterval: 2 * time.Second, KeepaliveMaxMiss: 2}, noKeepaliveSpec)
	registerDevice(t, c, dev, ns, "own")
	stop := every(t, time.Second, func(ctx context.Context) { _ = dev.Keepalive(ctx) })
	cam := waitCamera(t, c, ns, "own", 15*time.Second, func(cam *gbv1.Camera) error { return hasSettings(cam, 2*time.Second, 2) })
	if e := cam.Status.DeviceConfig.Expiration; e == nil || e.Duration != time.Hour {
		t.Errorf("expiration %v, want the device's 1h", e)
	}

	time.Sleep(6 * time.Second) // well past the device's 4s, keeping alive every second
	if cam := getCamera(t, c, ns, "own"); cam.Status.State != gbv1.StateRegistered {
		t.Fatalf("state %s while the device keeps alive at its own pace", cam.Status.State)
	}

	stop()
	silent := time.Now()
	cam = waitCamera(t, c, ns, "own", 15*time.Second, inState(gbv1.StateOffline, gbv1.ConditionReady, gbv1.ReasonKeepaliveTimeout))
	t.Logf("Offline %v after the last keepalive", time.Since(silent).Round(100*time.Millisecond))
	if msg, _ := hasCondition(cam, gbv1.ConditionReady, metav1.ConditionFalse, gbv1.ReasonKeepaliveTimeout); !strings.Contains(msg, "(4s)") {
		t.Errorf("Ready %q, want the device's 4s timeout", msg)
	}
}

// TestConfigureDeviceKeepalive: with configureDevice, a device that takes the settings
// keeps alive at the Camera's pace and the Camera says Configured; a device that
// answers OK and keeps its own is reported as drift, written once, and not again after
// it registers anew; a change of spec.keepalive writes once more.
func TestConfigureDeviceKeepalive(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})

	const takes, ignores = "34020000001320000412", "34020000001320000413"
	var tookCount configCounter
	good := deviceCamera(t, c, op, ns, "takes", takes, sim.Config{OnState: tookCount.onState}, configureKeepalive(20*time.Second, 2))
	registerDevice(t, c, good, ns, "takes")
	waitCamera(t, c, ns, "takes", 15*time.Second, func(cam *gbv1.Camera) error {
		if _, err := hasCondition(cam, gbv1.ConditionDeviceConfigured, metav1.ConditionTrue, gbv1.ReasonConfigured); err != nil {
			return err
		}
		return hasSettings(cam, 20*time.Second, 2)
	})
	if st := good.State(); st.KeepaliveInterval != 20*time.Second || st.KeepaliveMaxMiss != 2 || tookCount.n.Load() != 1 {
		t.Errorf("device keeps %v x %d after %d DeviceConfigs, want 20s x 2 after 1", st.KeepaliveInterval, st.KeepaliveMaxMiss, tookCount.n.Load())
	}

	var ignoredCount configCounter
	bad := deviceCamera(t, c, op, ns, "ignores", ignores, sim.Config{OnState: ignoredCount.onState, Control: sim.ControlConfig{IgnoreConfig: true}},
		configureKeepalive(20*time.Second, 2))
	registerDevice(t, c, bad, ns, "ignores")
	cam := waitCamera(t, c, ns, "ignores", 15*time.Second, func(cam *gbv1.Camera) error {
		_, err := hasCondition(cam, gbv1.ConditionDeviceConfigured, metav1.ConditionFalse, gbv1.ReasonConfigDrift)
		return err
	})
	if msg, _ := hasCondition(cam, gbv1.ConditionDeviceConfigured, metav1.ConditionFalse, gbv1.ReasonConfigDrift); !strings.Contains(msg, "keeps a keepalive every 1m0s, 3 missed") {
		t.Errorf("message %q does not say what the device keeps", msg)
	}
	waitEvents(t, c, ns, "ignores", gbv1.ReasonConfigDrift)

	// A new registration reads the settings again, and does not write them again.
	before := cam.Status.Registration.RegisteredAt
	reregister(t, bad)
	waitCamera(t, c, ns, "ignores", 15*time.Second, func(cam *gbv1.Camera) error {
		if reg := cam.Status.Registration; reg == nil || reg.RegisteredAt.Equal(&before) {
			return fmt.Errorf("still the first registration")
		}
		if cam.Status.DeviceConfig.QueriedAt.Before(&cam.Status.Registration.RegisteredAt) {
			return fmt.Errorf("settings not read in the new registration")
		}
		return nil
	})
	time.Sleep(time.Second)
	if n := ignoredCount.n.Load(); n != 1 {
		t.Fatalf("%d DeviceConfigs to the device that ignores them, want 1 across two registrations", n)
	}

	// New settings are written once.
	updateCamera(t, c, ns, "ignores", configureKeepalive(30*time.Second, 2))
	waitCamera(t, c, ns, "ignores", 15*time.Second, func(cam *gbv1.Camera) error {
		msg, err := hasCondition(cam, gbv1.ConditionDeviceConfigured, metav1.ConditionFalse, gbv1.ReasonConfigDrift)
		if err == nil && !strings.Contains(msg, "30s") {
			return fmt.Errorf("condition about other settings: %s", msg)
		}
		return err
	})
	if n := ignoredCount.n.Load(); n != 2 {
		t.Errorf("%d DeviceConfigs after a spec change, want 2", n)
	}
}

// TestConfigureRebootingDeviceOnce: a device that reboots without answering a
// DeviceConfig (as some vendors' do) is written to once: when it registers again, its
// settings say whether it took them, and it is not written to again, however often it
// registers.
func TestConfigureRebootingDeviceOnce(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})
	reboots := sim.ControlConfig{RebootOnConfig: true, RebootDelay: time.Second}

	for _, tc := range []struct {
		name, id string
		ignores  bool
		reason   string
	}{
		{"applies", "34020000001320000414", false, gbv1.ReasonConfigured},
		{"ignores", "34020000001320000415", true, gbv1.ReasonConfigDrift},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var count configCounter
			control := reboots
			control.IgnoreConfig = tc.ignores
			// The device keeps alive every 2s on its own; the Camera asks 3s, 5 missed.
			dev := deviceCamera(t, c, op, ns, tc.name, tc.id, sim.Config{KeepaliveInterval: 2 * time.Second, OnState: count.onState, Control: control},
				configureKeepalive(3*time.Second, 5))
			runDevice(t, dev)
			status := metav1.ConditionFalse
			if !tc.ignores {
				status = metav1.ConditionTrue
			}
			first := waitCamera(t, c, ns, tc.name, 15*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered)).Status.Registration.RegisteredAt
			cam := waitCamera(t, c, ns, tc.name, 30*time.Second, func(cam *gbv1.Camera) error {
				if reg := cam.Status.Registration; reg == nil || reg.RegisteredAt.Equal(&first) {
					return fmt.Errorf("the device has not registered again since the DeviceConfig")
				}
				_, err := hasCondition(cam, gbv1.ConditionDeviceConfigured, status, tc.reason)
				return err
			})
			t.Logf("DeviceConfigured: %s", conditionNote(cam, gbv1.ConditionDeviceConfigured))

			// Another reboot, another registration: nothing more is written.
			if err := op.srv.Control(ctxT(t), ownerRef(cam), "", manscdp.TeleBoot{}); err != nil {
				t.Fatal(err)
			}
			second := cam.Status.Registration.RegisteredAt
			waitCamera(t, c, ns, tc.name, 30*time.Second, func(cam *gbv1.Camera) error {
				if reg := cam.Status.Registration; cam.Status.State != gbv1.StateRegistered || reg == nil || reg.RegisteredAt.Equal(&second) {
					return fmt.Errorf("the device has not registered again since the TeleBoot")
				}
				if cam.Status.DeviceConfig == nil || cam.Status.DeviceConfig.QueriedAt.Before(&cam.Status.Registration.RegisteredAt) {
					return fmt.Errorf("settings not read in the new registration")
				}
				return nil
			})
			time.Sleep(time.Second)
			if n := count.n.Load(); n != 1 {
				t.Errorf("%d DeviceConfigs over three registrations, want 1", n)
			}
		})
	}
}

// conditionNote is a condition's reason and message, for logs.
func conditionNote(cam *gbv1.Camera, typ string) string {
	for _, c := range cam.Status.Conditions {
		if c.Type == typ {
			return c.Reason + ": " + c.Message
		}
	}
	return "none"
}
