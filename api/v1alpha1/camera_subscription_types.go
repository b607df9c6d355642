package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SubscriptionsSpec declares the subscriptions the operator keeps with a device (GB/T
// 28181 §9.11, RFC 6665): it SUBSCRIBEs after the device registers, refreshes within the
// dialog before expiry, subscribes again after a new registration, a restart or a new
// leader, and ends a subscription (Expires: 0) the spec drops or whose Camera goes away.
// A device that refuses one is polled instead, and the Subscribed condition says so.
type SubscriptionsSpec struct {
	// catalog subscribes to the device's catalog changes: channels going ON, OFF, VLOST
	// or DEFECT, added, removed or updated update status.channels within seconds.
	// +optional
	Catalog *SubscriptionSpec `json:"catalog,omitempty"`

	// alarm subscribes to the device's alarms, within a range of priorities and one
	// alarm method or all.
	// +optional
	Alarm *AlarmSubscriptionSpec `json:"alarm,omitempty"`

	// mobilePosition subscribes to the position of a device that moves, reported every
	// interval.
	// +optional
	MobilePosition *MobilePositionSubscriptionSpec `json:"mobilePosition,omitempty"`
}

// SubscriptionSpec is what every subscription has.
type SubscriptionSpec struct {
	// expires is the lifetime asked of the device; the operator refreshes it before it
	// runs out.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('24h')",message="expires must be between 1m and 24h"
	Expires *metav1.Duration `json:"expires,omitempty"`
}

// AlarmSubscriptionSpec is an alarm subscription.
type AlarmSubscriptionSpec struct {
	SubscriptionSpec `json:",inline"`

	// minPriority and maxPriority bound the alarm priorities subscribed to, 1 (the
	// highest) to 4.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4
	MinPriority int32 `json:"minPriority,omitempty"`
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4
	MaxPriority int32 `json:"maxPriority,omitempty"`

	// method is the alarm method subscribed to (1 telephone, 2 device, 3 SMS, 4 GPS,
	// 5 video, 6 device fault, 7 other); 0 or unset: all.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=7
	Method int32 `json:"method,omitempty"`
}

// MobilePositionSubscriptionSpec is a position subscription.
type MobilePositionSubscriptionSpec struct {
	SubscriptionSpec `json:",inline"`

	// interval between two position reports.
	// +optional
	// +kubebuilder:default="5s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="interval must be between 1s and 1h"
	Interval *metav1.Duration `json:"interval,omitempty"`
}

// SubscriptionEvent names a subscription.
// +kubebuilder:validation:Enum=Catalog;Alarm;MobilePosition
type SubscriptionEvent string

// The subscriptions.
const (
	SubscriptionCatalog        SubscriptionEvent = "Catalog"
	SubscriptionAlarm          SubscriptionEvent = "Alarm"
	SubscriptionMobilePosition SubscriptionEvent = "MobilePosition"
)

// SubscriptionState is where a subscription stands.
// +kubebuilder:validation:Enum=Pending;Active;Refused;Failed
type SubscriptionState string

// The subscription states.
const (
	// SubscriptionPending: not made yet (the device is not registered, or it is on its
	// way).
	SubscriptionPending SubscriptionState = "Pending"
	// SubscriptionActive: the device accepted it, and it has not run out.
	SubscriptionActive SubscriptionState = "Active"
	// SubscriptionRefused: the device answered 4xx/5xx; the operator polls instead and
	// tries again at the next registration.
	SubscriptionRefused SubscriptionState = "Refused"
	// SubscriptionFailed: no answer, or the device ended it; retried with backoff.
	SubscriptionFailed SubscriptionState = "Failed"
)

// SubscriptionStatus is the state of one subscription.
type SubscriptionStatus struct {
	// event is the subscription.
	Event SubscriptionEvent `json:"event"`

	// state of the subscription.
	State SubscriptionState `json:"state"`

	// expiresAt is when the device ends it unless refreshed.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// lastNotifyAt is when the device last notified within it. While nothing else
	// changes it is written as lastKeepaliveTime is.
	// +optional
	LastNotifyAt *metav1.Time `json:"lastNotifyAt,omitempty"`

	// reason is why it last failed, or was refused.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
}
