package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What a device tells of itself beyond its registration: its alarms, its status and its
// configuration. Strings come from devices and are cut to the bounds below.

// Alarm is one alarm of a device (GB/T 28181 §9.4), by MESSAGE or within an alarm
// subscription.
type Alarm struct {
	// priority of the alarm, 1 (the highest) to 4.
	// +optional
	Priority int32 `json:"priority,omitempty"`

	// method of the alarm: 1 telephone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device
	// fault, 7 other.
	// +optional
	Method int32 `json:"method,omitempty"`

	// type is the alarm type the device reports (Info/AlarmType), by method: for a
	// device alarm 1 video lost, 2 tampering, 3 disk full, ...; for a video alarm 1
	// manual, 2 motion, 3 left object, ...
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Type string `json:"type,omitempty"`

	// channelID is the channel (or device) that raised it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ChannelID string `json:"channelID,omitempty"`

	// time is when it happened, by the device's clock.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`

	// description the device gives.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Description string `json:"description,omitempty"`

	// longitude and latitude, as the device writes them, for alarms of devices that move.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Longitude string `json:"longitude,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Latitude string `json:"latitude,omitempty"`

	// receivedAt is when the operator received it.
	ReceivedAt metav1.Time `json:"receivedAt"`
}

// DeviceStatus is a device's answer to a DeviceStatus query (GB/T 28181 §9.5), asked
// after each registration and each catalog refresh.
type DeviceStatus struct {
	// online is whether the device says it is online.
	Online bool `json:"online"`

	// status is the device's working status as it reports it: OK, or what is wrong.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Status string `json:"status,omitempty"`

	// encode and record are ON when the device encodes, and records, as it reports.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Encode string `json:"encode,omitempty"`
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Record string `json:"record,omitempty"`

	// deviceTime is the device's clock when it answered.
	// +optional
	DeviceTime *metav1.Time `json:"deviceTime,omitempty"`

	// clockOffset is how far the device's clock is ahead of the platform's (negative:
	// behind), from deviceTime and when the answer arrived. The ClockSynchronized
	// condition is False past a bound: devices set their clock from the platform's Date
	// header, and one that failed to has its recordings searched at the wrong times.
	// +optional
	ClockOffset *metav1.Duration `json:"clockOffset,omitempty"`

	// alarmInputs are the states of the device's alarm inputs: ONDUTY (armed), OFFDUTY or
	// ALARM.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=256
	AlarmInputs []AlarmInputStatus `json:"alarmInputs,omitempty"`

	// queriedAt is when the answer arrived.
	QueriedAt metav1.Time `json:"queriedAt"`
}

// AlarmInputStatus is the state of one alarm input of a device.
type AlarmInputStatus struct {
	// id of the alarm input (its GB ID).
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// dutyStatus is ONDUTY, OFFDUTY or ALARM.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	DutyStatus string `json:"dutyStatus,omitempty"`
}

// DeviceConfig is a device's basic configuration (ConfigDownload BasicParam, GB/T 28181
// §9.5), asked after each registration.
type DeviceConfig struct {
	// name the device is configured with.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`

	// heartbeatInterval and heartbeatCount are the device's own keepalive settings: it
	// keeps alive every heartbeatInterval, and counts itself disconnected after
	// heartbeatCount unanswered keepalives. With spec.keepalive unset, the operator
	// takes them for the Offline deadline.
	// +optional
	HeartbeatInterval *metav1.Duration `json:"heartbeatInterval,omitempty"`
	// +optional
	HeartbeatCount int32 `json:"heartbeatCount,omitempty"`

	// expiration is the registration lifetime the device asks for.
	// +optional
	Expiration *metav1.Duration `json:"expiration,omitempty"`

	// queriedAt is when the answer arrived.
	QueriedAt metav1.Time `json:"queriedAt"`
}

// ConditionGuardApplied is set with spec.guard: it says whether the device acknowledged the
// guard state (GuardCmd) sent after its registration or the spec's change; False says
// why not (refused, no answer). status.guard is what it last acknowledged.
const ConditionGuardApplied = "GuardApplied"

// Reasons of the GuardApplied condition.
const (
	ReasonGuardAcknowledged = "GuardAcknowledged"
	ReasonGuardFailed       = "GuardFailed"
)
