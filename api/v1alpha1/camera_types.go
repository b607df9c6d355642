package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CameraSpec is what the user declares about a device: who it is and how it proves it.
type CameraSpec struct {
	// deviceID is the SIP user the device registers as. It is normally a 20-digit
	// GB/T 28181 ID (8-digit centre code, 2-digit industry, 3-digit type such as 132 for
	// an IPC or 118 for an NVR, 1-digit network, 6-digit serial); 18-digit IDs and plain
	// SIP extensions used by generic SIP stacks are accepted too. It cannot be changed:
	// create a new Camera for another device.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z._-]{1,64}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="deviceID is immutable: create a new Camera for another device"
	DeviceID string `json:"deviceID"`

	// credentialsSecretRef names the Secret, in the Camera's own namespace, that holds the
	// device's SIP digest password. A Secret in another namespace cannot be named.
	// +required
	CredentialsSecretRef SecretKeySelector `json:"credentialsSecretRef"`

	// username is the digest user name the device authenticates with, when it is not the
	// device ID (some devices authenticate as "admin"). Both are accepted when set.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[^"\\\s]+$`
	Username string `json:"username,omitempty"`

	// suspend refuses the device's registrations (403) and drops its live registration
	// while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// keepalive sets how often the device is expected to send a Keepalive and how many
	// may be missed before the Camera is reported Offline.
	// +optional
	// +kubebuilder:default={}
	Keepalive KeepaliveSpec `json:"keepalive,omitempty"`

	// catalog sets how the device's channel catalog is queried.
	// +optional
	// +kubebuilder:default={}
	Catalog CatalogSpec `json:"catalog,omitempty"`

	// subscriptions the operator keeps with the device (GB/T 28181 §9.11): a block
	// present subscribes (`catalog: {}` with the defaults), an absent one does not.
	// +optional
	Subscriptions SubscriptionsSpec `json:"subscriptions,omitempty"`

	// guard arms (Armed) or disarms (Disarmed) the device's alarm inputs with GuardCmd
	// after each registration and whenever it changes: most devices send no alarm
	// until armed. Unset: the device is left as it is.
	// +optional
	Guard GuardState `json:"guard,omitempty"`
}

// GuardState is whether a device's alarm inputs are armed.
// +kubebuilder:validation:Enum=Armed;Disarmed
type GuardState string

// The guard states.
const (
	GuardArmed    GuardState = "Armed"
	GuardDisarmed GuardState = "Disarmed"
)

// SecretKeySelector names a key of a Secret in the Camera's namespace.
type SecretKeySelector struct {
	// name of the Secret, in the Camera's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key of the Secret's data that holds the password.
	// +optional
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// KeepaliveSpec is the device's keepalive contract (GB/T 28181 §9.6).
type KeepaliveSpec struct {
	// interval between two keepalives of the device, as configured on it. Unset: the
	// interval the device reports of itself (ConfigDownload BasicParam), else 60s.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="interval must be between 1s and 24h"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// timeoutCount is how many keepalives may be missed before the device is Offline.
	// Unset: the count the device reports of itself, else 3.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	TimeoutCount int32 `json:"timeoutCount,omitempty"`

	// configureDevice writes interval and timeoutCount to the device (DeviceConfig
	// BasicParam) after each registration, and the DeviceConfigured condition says
	// whether the device took them. Devices differ: one attempt per registration, never
	// a loop.
	// +optional
	ConfigureDevice bool `json:"configureDevice,omitempty"`
}

// CatalogSpec controls the Catalog queries sent to the device.
type CatalogSpec struct {
	// refreshInterval between two Catalog queries while the device stays registered.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="refreshInterval must be at least 1m"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// disabled stops the Catalog queries to the device. Its DeviceInfo is still asked for
	// after each registration and every refreshInterval.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
}

// CameraState is a one-word summary of a Camera's status, for humans.
// +kubebuilder:validation:Enum=Pending;Registered;Offline;Expired;Unregistered;AuthFailed;Suspended;Conflict
type CameraState string

// The states of a Camera.
const (
	// StatePending: the device has not registered since the Camera was created.
	StatePending CameraState = "Pending"
	// StateRegistered: the device is registered and its keepalives arrive.
	StateRegistered CameraState = "Registered"
	// StateOffline: the device is registered but its keepalives stopped.
	StateOffline CameraState = "Offline"
	// StateExpired: the registration ran out without a refresh.
	StateExpired CameraState = "Expired"
	// StateUnregistered: the device unregistered (Expires: 0).
	StateUnregistered CameraState = "Unregistered"
	// StateAuthFailed: the device's last attempt failed digest authentication.
	StateAuthFailed CameraState = "AuthFailed"
	// StateSuspended: spec.suspend is true.
	StateSuspended CameraState = "Suspended"
	// StateConflict: an older Camera claims the same device ID.
	StateConflict CameraState = "Conflict"
)

// Condition types of a Camera.
const (
	// ConditionReady is True when the device is registered and alive.
	ConditionReady = "Ready"
	// ConditionRegistered is True while the device holds an unexpired registration.
	ConditionRegistered = "Registered"
	// ConditionCredentialsResolved is True when the Secret and key named by the spec exist.
	ConditionCredentialsResolved = "CredentialsResolved"
	// ConditionSubscribed is True when every subscription of spec.subscriptions is active;
	// False says which failed and that the operator polls instead.
	ConditionSubscribed = "Subscribed"
	// ConditionClockSynchronized is False when the device's clock (DeviceStatus) is off
	// the platform's by more than a bound: its recordings are then searched at the wrong
	// times.
	ConditionClockSynchronized = "ClockSynchronized"
	// ConditionDeviceConfigured, with spec.keepalive.configureDevice, says whether the
	// device took the keepalive settings.
	ConditionDeviceConfigured = "DeviceConfigured"
)

// Condition reasons of a Camera, CamelCase as Kubernetes conventions ask.
const (
	ReasonRegistered           = "Registered"
	ReasonPending              = "Pending"
	ReasonUnregistered         = "Unregistered"
	ReasonRegistrationExpired  = "RegistrationExpired"
	ReasonKeepaliveTimeout     = "KeepaliveTimeout"
	ReasonAuthenticationFailed = "AuthenticationFailed"
	ReasonSecretNotFound       = "SecretNotFound"
	ReasonKeyNotFound          = "KeyNotFound"
	ReasonResolved             = "Resolved"
	ReasonDuplicateDeviceID    = "DuplicateDeviceID"
	ReasonSuspended            = "Suspended"
	// ReasonShardChanged: the Camera was relabelled to another shard; the device must
	// register with that shard's SIP address.
	ReasonShardChanged = "ShardChanged"

	// Reasons of the Subscribed condition.
	ReasonSubscribed         = "Subscribed"
	ReasonSubscriptionFailed = "SubscriptionFailed"
	ReasonPolling            = "Polling"
	// Reasons of the ClockSynchronized condition.
	ReasonClockInSync = "ClockInSync"
	ReasonClockSkewed = "ClockSkewed"
	// Reasons of the DeviceConfigured condition.
	ReasonConfigured   = "Configured"
	ReasonConfigDrift  = "ConfigDrift"
	ReasonConfigFailed = "ConfigFailed"
)

// ShardLabel is the Camera label that assigns it to an operator shard: the operator
// started with --shard=NAME serves exactly the Cameras labelled gb28181.io/shard=NAME,
// and one started without --shard serves the Cameras without the label. Relabelling a
// Camera moves it to another shard.
const ShardLabel = "gb28181.io/shard"

// Transport is the SIP transport a device registered over.
// +kubebuilder:validation:Enum=UDP;TCP
type Transport string

// The transports the registrar listens on.
const (
	TransportUDP Transport = "UDP"
	TransportTCP Transport = "TCP"
)

// Registration describes the device's current SIP registration.
type Registration struct {
	// registeredAt is when the device first registered in this registration.
	RegisteredAt metav1.Time `json:"registeredAt"`

	// expiresAt is when the registration runs out unless the device refreshes it.
	ExpiresAt metav1.Time `json:"expiresAt"`

	// expires is the registration lifetime granted to the device, in seconds.
	// +kubebuilder:validation:Minimum=0
	Expires int32 `json:"expires"`

	// transport the device registered over.
	// +optional
	Transport Transport `json:"transport,omitempty"`

	// remoteAddr is the source address and port of the device's REGISTER, where requests
	// to the device are sent (the address seen through any NAT).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RemoteAddr string `json:"remoteAddr,omitempty"`

	// contact is the Contact URI the device registered.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Contact string `json:"contact,omitempty"`

	// userAgent is the User-Agent the device sent.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	UserAgent string `json:"userAgent,omitempty"`
}

// DeviceInfo is what the device reports of itself in a DeviceInfo response.
type DeviceInfo struct {
	// name of the device.
	// +optional
	Name string `json:"name,omitempty"`
	// manufacturer of the device.
	// +optional
	Manufacturer string `json:"manufacturer,omitempty"`
	// model of the device.
	// +optional
	Model string `json:"model,omitempty"`
	// firmware version of the device.
	// +optional
	Firmware string `json:"firmware,omitempty"`
	// channelCount is the number of video channels the device reports.
	// +optional
	ChannelCount int32 `json:"channelCount,omitempty"`
}

// Channel is one item of the device's catalog: a video channel, or a group or region.
type Channel struct {
	// id is the channel's GB ID.
	// +required
	ID string `json:"id"`
	// name of the channel.
	// +optional
	Name string `json:"name,omitempty"`
	// status as the device reports it, normally ON or OFF.
	// +optional
	Status string `json:"status,omitempty"`
	// manufacturer of the channel's device.
	// +optional
	Manufacturer string `json:"manufacturer,omitempty"`
	// model of the channel's device.
	// +optional
	Model string `json:"model,omitempty"`
	// parentID is the ID of the device or group the channel belongs to.
	// +optional
	ParentID string `json:"parentID,omitempty"`
	// civilCode is the administrative region code of the channel.
	// +optional
	CivilCode string `json:"civilCode,omitempty"`
	// address is where the channel is installed.
	// +optional
	Address string `json:"address,omitempty"`
	// presets are the channel's PTZ presets (PresetQuery), by index.
	// +optional
	// +listType=map
	// +listMapKey=index
	// +kubebuilder:validation:MaxItems=255
	Presets []Preset `json:"presets,omitempty"`
}

// Preset is a stored PTZ position of a channel.
type Preset struct {
	// index of the preset, 1-255.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	Index int32 `json:"index"`
	// name the device gives it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Name string `json:"name,omitempty"`
}

// MaxChannels bounds the channels kept in a Camera's status, so a large NVR cannot make
// the object too large for etcd; status.channelCount still counts them all.
const MaxChannels = 1000

// CameraStatus is what the operator observed of the device. The registrar writes
// nothing here itself: the Camera reconciler is its only writer, so the API server
// tracks the status as one field of that writer's (atomic): tracking who owns each of
// its fields was a fifth of the API server's CPU per status write
// (BenchmarkStatusWrite).
// +structType=atomic
type CameraStatus struct {
	// observedGeneration is the generation of the spec this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// shard is the operator shard that serves the Camera, from its gb28181.io/shard
	// label; empty when the unsharded operator serves it.
	// +optional
	Shard string `json:"shard,omitempty"`

	// conditions: Ready, Registered and CredentialsResolved.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// state is a one-word summary of the Camera, for humans.
	// +optional
	State CameraState `json:"state,omitempty"`

	// registration is the device's current or last SIP registration.
	// +optional
	Registration *Registration `json:"registration,omitempty"`

	// lastKeepaliveTime is when the device's last keepalive was recorded. While nothing
	// else changes it is written at most every few minutes, to spare the API server; with
	// liveness Leases (the default), at least hourly, and the Lease named after the Camera
	// records the latest keepalive (its renewTime) in between.
	// +optional
	LastKeepaliveTime *metav1.Time `json:"lastKeepaliveTime,omitempty"`

	// deviceType is derived from a 20-digit device ID's type code (DVR, NVR, Camera, IPC, ...).
	// +optional
	DeviceType string `json:"deviceType,omitempty"`

	// deviceInfo is what the device reported in its last DeviceInfo response.
	// +optional
	DeviceInfo *DeviceInfo `json:"deviceInfo,omitempty"`

	// channels are the items of the device's catalog, sorted by id, at most 1000.
	// +optional
	// +listType=map
	// +listMapKey=id
	// +kubebuilder:validation:MaxItems=1000
	Channels []Channel `json:"channels,omitempty"`

	// channelCount is the number of items in the device's catalog, all of them, even when
	// channels holds only the first 1000.
	// +optional
	ChannelCount int32 `json:"channelCount,omitempty"`

	// catalogUpdatedAt is when the catalog was last received.
	// +optional
	CatalogUpdatedAt *metav1.Time `json:"catalogUpdatedAt,omitempty"`

	// subscriptions are the state of the subscriptions of spec.subscriptions.
	// +optional
	// +listType=map
	// +listMapKey=event
	// +kubebuilder:validation:MaxItems=8
	Subscriptions []SubscriptionStatus `json:"subscriptions,omitempty"`

	// lastAlarm is the device's latest alarm. Each alarm is also an Event on the
	// Camera (reason Alarm).
	// +optional
	LastAlarm *Alarm `json:"lastAlarm,omitempty"`

	// deviceStatus is the device's answer to the latest DeviceStatus query.
	// +optional
	DeviceStatus *DeviceStatus `json:"deviceStatus,omitempty"`

	// deviceConfig is the device's basic configuration (ConfigDownload BasicParam): its
	// own keepalive settings among them.
	// +optional
	DeviceConfig *DeviceConfig `json:"deviceConfig,omitempty"`

	// guard is the guard state the device last acknowledged (spec.guard).
	// +optional
	Guard GuardState `json:"guard,omitempty"`
}

// Camera is a GB/T 28181 video device (camera, IPC, DVR or NVR) that registers with the
// operator's SIP registrar.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=cam,categories=gb28181
// +kubebuilder:printcolumn:name="Device ID",type=string,JSONPath=`.spec.deviceID`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.deviceType`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.status.registration.remoteAddr`
// +kubebuilder:printcolumn:name="Channels",type=integer,JSONPath=`.status.channelCount`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.registration.expiresAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Last Seen",type=date,JSONPath=`.status.lastKeepaliveTime`,priority=1
// +kubebuilder:printcolumn:name="User Agent",type=string,JSONPath=`.status.registration.userAgent`,priority=1
// +kubebuilder:printcolumn:name="Shard",type=string,JSONPath=`.status.shard`,priority=1
type Camera struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the device the user declares.
	// +required
	Spec CameraSpec `json:"spec"`

	// status is what the operator observed of the device.
	// +optional
	Status CameraStatus `json:"status,omitempty"`
}

// CameraList is a list of Cameras.
// +kubebuilder:object:root=true
type CameraList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Camera `json:"items"`
}

func init() {
	register(&Camera{}, &CameraList{})
}
