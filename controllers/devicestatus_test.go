package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// hasCondition checks a condition's status and reason, and returns its message.
func hasCondition(cam *gbv1.Camera, typ string, status metav1.ConditionStatus, reason string) (string, error) {
	c := meta.FindStatusCondition(cam.Status.Conditions, typ)
	if c == nil {
		return "", fmt.Errorf("no %s condition (%+v)", typ, cam.Status.Conditions)
	}
	if c.Status != status || c.Reason != reason {
		return "", fmt.Errorf("%s is %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return c.Message, nil
}

// TestDeviceStatusAndClock: after registration each Camera's status holds its device's
// DeviceStatus (online, working, encoding, recording, its clock, its alarm input), and
// ClockSynchronized says whether the device's clock is within the bound: a device whose
// clock is two minutes behind is ClockSkewed, with an Event, and the message says what
// it costs.
func TestDeviceStatusAndClock(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})
	const inSync, skewed = "34020000001320000401", "34020000001320000402"
	good := deviceCamera(t, c, op, ns, "good", inSync, sim.Config{})
	bad := deviceCamera(t, c, op, ns, "bad", skewed, sim.Config{ClockSkew: -2 * time.Minute})
	registerDevice(t, c, good, ns, "good")
	registerDevice(t, c, bad, ns, "bad")

	cam := waitCamera(t, c, ns, "good", 15*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.DeviceStatus == nil {
			return fmt.Errorf("no deviceStatus")
		}
		_, err := hasCondition(cam, gbv1.ConditionClockSynchronized, metav1.ConditionTrue, gbv1.ReasonClockInSync)
		return err
	})
	ds := cam.Status.DeviceStatus
	if !ds.Online || ds.Status != "OK" || ds.Encode != "ON" || ds.Record != "OFF" {
		t.Errorf("deviceStatus %+v", ds)
	}
	if ds.DeviceTime == nil || time.Since(ds.DeviceTime.Time).Abs() > time.Minute || ds.ClockOffset == nil || ds.ClockOffset.Duration.Abs() > 2*time.Second {
		t.Errorf("deviceTime %v, clockOffset %v: want now, and within 2s", ds.DeviceTime, ds.ClockOffset)
	}
	if len(ds.AlarmInputs) != 1 || ds.AlarmInputs[0].ID != inSync || ds.AlarmInputs[0].DutyStatus != "OFFDUTY" {
		t.Errorf("alarmInputs %+v", ds.AlarmInputs)
	}
	if ds.QueriedAt.Time.Before(cam.Status.Registration.RegisteredAt.Time) {
		t.Errorf("queriedAt %v before the registration %v", ds.QueriedAt, cam.Status.Registration.RegisteredAt)
	}

	cam = waitCamera(t, c, ns, "bad", 15*time.Second, func(cam *gbv1.Camera) error {
		_, err := hasCondition(cam, gbv1.ConditionClockSynchronized, metav1.ConditionFalse, gbv1.ReasonClockSkewed)
		return err
	})
	if off := cam.Status.DeviceStatus.ClockOffset; off == nil || (off.Duration+2*time.Minute).Abs() > 2*time.Second {
		t.Errorf("clockOffset %v, want about -2m", off)
	}
	msg, _ := hasCondition(cam, gbv1.ConditionClockSynchronized, metav1.ConditionFalse, gbv1.ReasonClockSkewed)
	if !strings.Contains(msg, "behind") || !strings.Contains(msg, "recordings") {
		t.Errorf("message %q does not say the clock is behind and what it costs", msg)
	}
	waitEvents(t, c, ns, "bad", gbv1.ReasonClockSkewed)
}
