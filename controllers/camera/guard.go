package camera

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// spec.guard arms or disarms the device's alarm inputs: GuardCmd SetGuard or
// ResetGuard after each registration (a rebooted device forgets) and whenever the spec
// changes. The device answers with a Result; status.guard is what it last acknowledged,
// and the GuardApplied condition says whether the latest command was (and why not). A
// command not answered is sent again with the next refresh; a refusal only after the
// next registration or spec change. Unset, the device is left as it is.

// guardCommand is the GuardCmd that puts a device in state g.
func guardCommand(g gbv1.GuardState) manscdp.GuardCmd {
	if g == gbv1.GuardArmed {
		return manscdp.GuardSet
	}
	return manscdp.GuardReset
}

// guardOutcome is how a GuardCmd ended: err is empty when the device acknowledged it.
type guardOutcome struct {
	state gbv1.GuardState
	err   string
}

// applyGuard writes what the device did with the latest GuardCmd into st: status.guard
// and the GuardApplied condition, which exists only while spec.guard is set.
func applyGuard(st *gbv1.CameraStatus, o *observation) {
	if o.spec.Guard == "" {
		removeCondition(st, gbv1.ConditionGuardApplied)
		return
	}
	var g *guardOutcome
	if d := o.query.detail; d != nil {
		g = d.guard
	}
	if g == nil {
		return
	}
	if g.err == "" {
		st.Guard = g.state
	}
	if g.state != o.spec.Guard {
		return // the spec changed meanwhile: the next command's answer says more
	}
	if g.err == "" {
		setCondition(st, gbv1.ConditionGuardApplied, metav1.ConditionTrue, gbv1.ReasonGuardAcknowledged,
			fmt.Sprintf("the device acknowledged GuardCmd %s", guardCommand(g.state)), o.generation, o.now)
		return
	}
	setCondition(st, gbv1.ConditionGuardApplied, metav1.ConditionFalse, gbv1.ReasonGuardFailed,
		fmt.Sprintf("GuardCmd %s failed: %s; status.guard is what the device last acknowledged", guardCommand(g.state), g.err), o.generation, o.now)
}
