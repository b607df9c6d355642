package camera

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// What the device tells of itself beyond DeviceInfo and Catalog (devicequery.go asks
// it), into its Camera's status: status.deviceStatus and ClockSynchronized
// (devicestatus.go), status.deviceConfig and DeviceConfigured (deviceconfig.go),
// status.guard and GuardApplied (guard.go), status.channels[].presets (presets.go).

// deviceConditions are the conditions of this part of the status.
var deviceConditions = []string{gbv1.ConditionClockSynchronized, gbv1.ConditionDeviceConfigured, gbv1.ConditionGuardApplied}

// applyDeviceDetails writes the answers of o into st. What was not asked again keeps
// its earlier value; a Camera that does not own its device holds none of it.
func applyDeviceDetails(st *gbv1.CameraStatus, o *observation) {
	if o.winner != "" {
		st.DeviceStatus, st.DeviceConfig, st.Guard = nil, nil, ""
		for _, typ := range deviceConditions {
			removeCondition(st, typ)
		}
		return
	}
	applyDeviceStatus(st, o)
	if d := o.query.detail; d != nil && d.basic != nil {
		st.DeviceConfig = deviceConfigFrom(d.basic, d.basicAt)
	}
	applyConfigured(st, o)
	applyGuard(st, o)
	applyPresets(st, o)
}

// applyConfigured writes the latest verdict on the device's keepalive settings: the
// DeviceConfigured condition, of the generation it was reached for, which exists only
// while spec.keepalive.configureDevice is set.
func applyConfigured(st *gbv1.CameraStatus, o *observation) {
	if !o.spec.Keepalive.ConfigureDevice {
		removeCondition(st, gbv1.ConditionDeviceConfigured)
		return
	}
	if d := o.query.detail; d != nil && d.config != nil {
		setCondition(st, gbv1.ConditionDeviceConfigured, d.config.status, d.config.reason, d.config.message, d.config.generation, o.now)
	}
}

func removeCondition(st *gbv1.CameraStatus, typ string) {
	meta.RemoveStatusCondition(&st.Conditions, typ)
}

// withoutDeviceLiveness puts back into m, a status about to be written, old's values of
// what changes with every DeviceStatus answer though nothing else did: when it was
// asked, the device's time and a clock offset still within the bound (the
// ClockSynchronized condition changes when it is not). A refresh that brings nothing new
// thus costs no status write of its own. status.deviceConfig, read once per
// registration, is written as it comes: its queriedAt says the settings are this
// registration's.
func withoutDeviceLiveness(old, m *gbv1.CameraStatus) {
	if o, n := old.DeviceStatus, m.DeviceStatus; o != nil && n != nil &&
		o.DeviceTime != nil && n.DeviceTime != nil && o.ClockOffset != nil && n.ClockOffset != nil {
		n.DeviceTime, n.ClockOffset, n.QueriedAt = o.DeviceTime.DeepCopy(), o.ClockOffset.DeepCopy(), o.QueriedAt
	} else if o != nil && n != nil {
		n.QueriedAt = o.QueriedAt
	}
}

// deviceConditionEvents are the Events of a change of the device conditions: one per change of
// status or reason, Warning when False, its note the condition's message.
func deviceConditionEvents(old, cur *gbv1.CameraStatus) []cameraEvent {
	var evs []cameraEvent
	for _, typ := range deviceConditions {
		c := meta.FindStatusCondition(cur.Conditions, typ)
		if c == nil {
			continue
		}
		if p := meta.FindStatusCondition(old.Conditions, typ); p != nil && p.Status == c.Status && p.Reason == c.Reason {
			continue
		}
		eventType := corev1.EventTypeNormal
		if c.Status == metav1.ConditionFalse {
			eventType = corev1.EventTypeWarning
		}
		evs = append(evs, cameraEvent{eventType, c.Reason, actionQuery, c.Message})
	}
	return evs
}
