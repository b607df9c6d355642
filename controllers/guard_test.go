package controllers

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// waitArmed waits until the device is armed, or disarmed.
func waitArmed(t *testing.T, dev *sim.Device, armed bool) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, fmt.Sprintf("device armed %v", armed), func() error {
		if dev.Armed() != armed {
			return fmt.Errorf("armed %v", dev.Armed())
		}
		return nil
	})
}

// hasGuard checks status.guard and the GuardApplied condition.
func hasGuard(g gbv1.GuardState) func(*gbv1.Camera) error {
	return func(cam *gbv1.Camera) error {
		if cam.Status.Guard != g {
			return fmt.Errorf("status.guard %q, want %q", cam.Status.Guard, g)
		}
		_, err := hasCondition(cam, gbv1.ConditionGuardApplied, metav1.ConditionTrue, gbv1.ReasonGuardAcknowledged)
		return err
	}
}

// TestGuardFollowsSpecAndRegistrations: spec.guard Armed arms the device after it
// registers and status.guard says so; a device that lost its guard (disarmed behind the
// operator's back, or rebooted) is armed again when it registers again; spec.guard
// Disarmed disarms it at once.
func TestGuardFollowsSpecAndRegistrations(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, opts: deviceOpts})
	const id = "34020000001320000421"
	dev := deviceCamera(t, c, op, ns, "guarded", id, sim.Config{}, func(cam *gbv1.Camera) { cam.Spec.Guard = gbv1.GuardArmed })
	cam := registerDevice(t, c, dev, ns, "guarded")
	waitArmed(t, dev, true)
	waitCamera(t, c, ns, "guarded", 10*time.Second, hasGuard(gbv1.GuardArmed))

	// Disarmed by someone else: the operator does not poll the guard, but the next
	// registration arms it again.
	if err := op.srv.Control(ctxT(t), ownerRef(cam), "", manscdp.GuardReset); err != nil {
		t.Fatal(err)
	}
	waitArmed(t, dev, false)
	reregister(t, dev)
	waitArmed(t, dev, true)

	updateCamera(t, c, ns, "guarded", func(cam *gbv1.Camera) { cam.Spec.Guard = gbv1.GuardDisarmed })
	waitArmed(t, dev, false)
	waitCamera(t, c, ns, "guarded", 10*time.Second, hasGuard(gbv1.GuardDisarmed))
	if last := dev.LastCommand(); last != "GuardCmd ResetGuard" {
		t.Errorf("last command %q", last)
	}
}
