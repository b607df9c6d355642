package camera

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestBuildStatusGuard: status.guard is what the device acknowledged; GuardApplied says
// whether the latest command was, and exists only while spec.guard is set.
func TestBuildStatusGuard(t *testing.T) {
	o := baseObservation()
	o.spec.Guard = gbv1.GuardArmed
	o.device.Binding = liveBinding(t0.Add(-time.Minute), t0)
	o.query.detail = &detailResult{guard: &guardOutcome{state: gbv1.GuardArmed}}
	st, _ := buildStatus(o)
	c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionGuardApplied)
	if st.Guard != gbv1.GuardArmed || c == nil || c.Status != metav1.ConditionTrue || c.Reason != gbv1.ReasonGuardAcknowledged {
		t.Fatalf("guard %q, condition %+v", st.Guard, c)
	}

	o.old = st
	o.spec.Guard = gbv1.GuardDisarmed
	o.query.detail = &detailResult{guard: &guardOutcome{state: gbv1.GuardDisarmed, err: "sipd: device answered DeviceControl with Result ERROR"}}
	failed, _ := buildStatus(o)
	c = meta.FindStatusCondition(failed.Conditions, gbv1.ConditionGuardApplied)
	if failed.Guard != gbv1.GuardArmed || c.Status != metav1.ConditionFalse || c.Reason != gbv1.ReasonGuardFailed {
		t.Errorf("after a refused ResetGuard: guard %q (want the last acknowledged), condition %+v", failed.Guard, c)
	}
	if evs := transitionEvents(&st, &failed); len(evs) != 1 || evs[0].reason != gbv1.ReasonGuardFailed {
		t.Errorf("events %+v, want one GuardFailed", evs)
	}

	o.old, o.spec.Guard, o.query.detail = failed, "", nil
	unset, _ := buildStatus(o)
	if meta.FindStatusCondition(unset.Conditions, gbv1.ConditionGuardApplied) != nil || unset.Guard != gbv1.GuardArmed {
		t.Errorf("with spec.guard unset: guard %q, conditions %+v", unset.Guard, unset.Conditions)
	}
}

// TestBuildStatusDeviceConfigured: the verdict's condition carries the generation it
// was reached for, and goes away with configureDevice.
func TestBuildStatusDeviceConfigured(t *testing.T) {
	o := baseObservation()
	o.spec.Keepalive.ConfigureDevice = true
	o.generation = 5
	o.device.Binding = liveBinding(t0.Add(-time.Minute), t0)
	o.query.detail = &detailResult{config: &configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigDrift, "drift", 4}}
	st, _ := buildStatus(o)
	c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionDeviceConfigured)
	if c == nil || c.Reason != gbv1.ReasonConfigDrift || c.ObservedGeneration != 4 {
		t.Fatalf("condition %+v", c)
	}
	o.old, o.query.detail = st, nil
	o.spec.Keepalive.ConfigureDevice = false
	st, _ = buildStatus(o)
	if meta.FindStatusCondition(st.Conditions, gbv1.ConditionDeviceConfigured) != nil {
		t.Error("DeviceConfigured kept without configureDevice")
	}
}

// TestBuildStatusConflictHoldsNoDeviceDetails: a Camera that lost its device ID to an
// older one shows nothing of the device.
func TestBuildStatusConflictHoldsNoDeviceDetails(t *testing.T) {
	o := baseObservation()
	o.old.DeviceStatus = &gbv1.DeviceStatus{Online: true}
	o.old.DeviceConfig = &gbv1.DeviceConfig{HeartbeatCount: 3}
	o.old.Guard = gbv1.GuardArmed
	setCondition(&o.old, gbv1.ConditionClockSynchronized, metav1.ConditionTrue, gbv1.ReasonClockInSync, "ok", 1, t0)
	o.winner = "the older Camera a"
	o.query.detail = &detailResult{basic: &manscdp.BasicParam{HeartBeatCount: 2}}
	st, _ := buildStatus(o)
	if st.DeviceStatus != nil || st.DeviceConfig != nil || st.Guard != "" || meta.FindStatusCondition(st.Conditions, gbv1.ConditionClockSynchronized) != nil {
		t.Errorf("a Conflict Camera holds %+v", st)
	}
}
