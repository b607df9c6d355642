package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CameraCommandSpec is one control of a Camera's device (GB/T 28181 §9.3,
// DeviceControl): exactly one of ptz, preset, cruise, scan, reboot, record, keyframe,
// resetAlarm, homePosition and dragZoom. A command is one-shot: its spec cannot change,
// RBAC says who may create one for which namespace's cameras, the API server's audit log
// who did, and a finished command is deleted after ttlSecondsAfterFinished.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a CameraCommand cannot be changed: create another"
// +kubebuilder:validation:XValidation:rule="[has(self.ptz), has(self.preset), has(self.cruise), has(self.scan), has(self.reboot), has(self.record), has(self.keyframe), has(self.resetAlarm), has(self.homePosition), has(self.dragZoom)].filter(x, x).size() == 1",message="exactly one command: ptz, preset, cruise, scan, reboot, record, keyframe, resetAlarm, homePosition or dragZoom"
type CameraCommandSpec struct {
	// cameraRef names the Camera, in the command's namespace, whose device is
	// controlled.
	// +required
	CameraRef LocalObjectReference `json:"cameraRef"`

	// channelID is the channel controlled: for an NVR one of the Camera's catalog; left
	// out, the device ID.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z._-]{1,64}$`
	ChannelID string `json:"channelID,omitempty"`

	// ptz moves the camera for duration, then stops it; or stops it.
	// +optional
	PTZ *PTZCommand `json:"ptz,omitempty"`

	// preset goes to, stores or deletes a preset position.
	// +optional
	Preset *PresetCommand `json:"preset,omitempty"`

	// cruise starts or stops a cruise along a group of presets, where the device has one.
	// +optional
	Cruise *CruiseCommand `json:"cruise,omitempty"`

	// scan starts or stops an automatic scan, where the device has one.
	// +optional
	Scan *ScanCommand `json:"scan,omitempty"`

	// reboot restarts the device (TeleBoot).
	// +optional
	Reboot *RebootCommand `json:"reboot,omitempty"`

	// record starts or stops the device's manual recording (RecordCmd).
	// +optional
	Record *RecordCommand `json:"record,omitempty"`

	// keyframe asks for a key frame at once (IFameCmd), for a receiver that joined late.
	// +optional
	Keyframe *KeyframeCommand `json:"keyframe,omitempty"`

	// resetAlarm clears the device's alarm (AlarmCmd ResetAlarm).
	// +optional
	ResetAlarm *ResetAlarmCommand `json:"resetAlarm,omitempty"`

	// homePosition sets the position the camera returns to when idle.
	// +optional
	HomePosition *HomePositionCommand `json:"homePosition,omitempty"`

	// dragZoom zooms into (or out of) a rectangle of the picture (GB/T 28181-2016
	// §A.2.3).
	// +optional
	DragZoom *DragZoomCommand `json:"dragZoom,omitempty"`

	// ttlSecondsAfterFinished is how long a finished command is kept (default 10
	// minutes).
	// +optional
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// PTZCommand is a pan/tilt/zoom move, or a stop. Speeds are signed: the sign is the
// direction (positive pan turns right, positive tilt up, positive zoom in), the
// magnitude the speed (1-255 for pan and tilt, 1-15 for zoom), 0 no movement.
// +kubebuilder:validation:XValidation:rule="has(self.stop) && self.stop ? (!has(self.pan) || self.pan == 0) && (!has(self.tilt) || self.tilt == 0) && (!has(self.zoom) || self.zoom == 0) : (has(self.pan) && self.pan != 0) || (has(self.tilt) && self.tilt != 0) || (has(self.zoom) && self.zoom != 0)",message="a move needs a non-zero pan, tilt or zoom; a stop none"
type PTZCommand struct {
	// pan speed: positive turns right, negative left.
	// +optional
	// +kubebuilder:validation:Minimum=-255
	// +kubebuilder:validation:Maximum=255
	Pan int32 `json:"pan,omitempty"`
	// tilt speed: positive up, negative down.
	// +optional
	// +kubebuilder:validation:Minimum=-255
	// +kubebuilder:validation:Maximum=255
	Tilt int32 `json:"tilt,omitempty"`
	// zoom speed: positive in (tele), negative out (wide).
	// +optional
	// +kubebuilder:validation:Minimum=-15
	// +kubebuilder:validation:Maximum=15
	Zoom int32 `json:"zoom,omitempty"`
	// duration of the move (default 1s, at most 60s); the operator then sends the stop,
	// so that a lost client never leaves a camera turning.
	// +optional
	// +kubebuilder:default="1s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('60s')",message="duration must be more than 0 and at most 60s"
	Duration *metav1.Duration `json:"duration,omitempty"`
	// stop stops whatever move the camera makes.
	// +optional
	Stop bool `json:"stop,omitempty"`
}

// PresetCommand acts on a preset position.
type PresetCommand struct {
	// action: Goto, Set (store the current position) or Delete.
	// +required
	// +kubebuilder:validation:Enum=Goto;Set;Delete
	Action string `json:"action"`
	// index of the preset, 1-255.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	Index int32 `json:"index"`
}

// CruiseCommand starts or stops a cruise.
type CruiseCommand struct {
	// action: Start or Stop.
	// +required
	// +kubebuilder:validation:Enum=Start;Stop
	Action string `json:"action"`
	// group is the cruise route, 1-255.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	Group int32 `json:"group"`
}

// ScanCommand starts or stops an automatic scan.
type ScanCommand struct {
	// action: Start or Stop.
	// +required
	// +kubebuilder:validation:Enum=Start;Stop
	Action string `json:"action"`
	// group is the scan, 1-255.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	Group int32 `json:"group"`
}

// RebootCommand restarts the device.
type RebootCommand struct{}

// KeyframeCommand asks for a key frame.
type KeyframeCommand struct{}

// RecordCommand starts or stops manual recording.
type RecordCommand struct {
	// action: Start or Stop.
	// +required
	// +kubebuilder:validation:Enum=Start;Stop
	Action string `json:"action"`
}

// ResetAlarmCommand clears an alarm of the device.
type ResetAlarmCommand struct {
	// method and type name the alarm to clear (Info/AlarmMethod, AlarmType); unset:
	// every alarm.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=7
	Method int32 `json:"method,omitempty"`
	// type is the alarm type as the device reports it (status.alarms[].type), a number.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:Pattern=`^[0-9]{1,9}$`
	Type string `json:"type,omitempty"`
}

// HomePositionCommand sets the home position.
// +kubebuilder:validation:XValidation:rule="!self.enabled || has(self.presetIndex)",message="an enabled home position needs its presetIndex"
type HomePositionCommand struct {
	// enabled turns the return to home on or off.
	Enabled bool `json:"enabled"`
	// resetTime is how long the camera stays idle before it returns (default 60s).
	// +optional
	// +kubebuilder:validation:Type=string
	ResetTime *metav1.Duration `json:"resetTime,omitempty"`
	// presetIndex is the preset that is home, 1-255.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	PresetIndex int32 `json:"presetIndex,omitempty"`
}

// DragZoomCommand zooms to a rectangle of the picture, in the picture's pixels.
type DragZoomCommand struct {
	// direction: In (the rectangle fills the picture) or Out.
	// +required
	// +kubebuilder:validation:Enum=In;Out
	Direction string `json:"direction"`
	// length and width of the picture as the client shows it.
	// +kubebuilder:validation:Minimum=1
	Length int32 `json:"length"`
	// +kubebuilder:validation:Minimum=1
	Width int32 `json:"width"`
	// midPointX and midPointY are the rectangle's centre; lengthX and lengthY its size.
	// +kubebuilder:validation:Minimum=0
	MidPointX int32 `json:"midPointX"`
	// +kubebuilder:validation:Minimum=0
	MidPointY int32 `json:"midPointY"`
	// +kubebuilder:validation:Minimum=1
	LengthX int32 `json:"lengthX"`
	// +kubebuilder:validation:Minimum=1
	LengthY int32 `json:"lengthY"`
}

// CameraCommandPhase is where a command stands.
// +kubebuilder:validation:Enum=Pending;Sent;Succeeded;Failed
type CameraCommandPhase string

// The phases of a CameraCommand.
const (
	// CommandPending: waiting for its turn (commands of one camera go one at a time, in
	// creation order) or for its Camera to be registered.
	CommandPending CameraCommandPhase = "Pending"
	// CommandSent: sent; for a move, the stop is still to come.
	CommandSent CameraCommandPhase = "Sent"
	// CommandSucceeded: the device answered Result OK (and, for a move, the stop too).
	CommandSucceeded CameraCommandPhase = "Succeeded"
	// CommandFailed: see the Succeeded condition's reason.
	CommandFailed CameraCommandPhase = "Failed"
)

// Condition type and reasons of a CameraCommand.
const (
	// ConditionSucceeded is True once the device carried the command out.
	ConditionSucceeded = "Succeeded"

	ReasonWaiting         = "Waiting"
	ReasonSent            = "Sent"
	ReasonDone            = "Done"
	ReasonDeviceRefused   = "DeviceRefused"
	ReasonTooManyCommands = "TooManyCommands"
	// ReasonInterrupted: the operator stopped (a restart, a new leader) after sending
	// the command and before the device answered; the outcome is unknown, and the
	// command is not sent again.
	ReasonInterrupted = "Interrupted"
	// ReasonInvalidCommand: the spec makes no DeviceControl the standard allows.
	ReasonInvalidCommand = "InvalidCommand"
	// ReasonCameraNotFound, ReasonCameraNotRegistered, ReasonCameraConflict, ReasonTimeout
	// and ReasonChannelNotFound are shared with Streams.
)

// CameraCommandStatus is the outcome of a command.
type CameraCommandStatus struct {
	// phase is where the command stands.
	// +optional
	Phase CameraCommandPhase `json:"phase,omitempty"`

	// command is what was sent: the DeviceControl element and its value
	// ("PTZCmd A50F0101200000D6", "TeleBoot Boot", "RecordCmd Record", ...). A move's
	// stop (PTZCmd A50F0100000000B5) follows it.
	// +optional
	Command string `json:"command,omitempty"`

	// conditions: Succeeded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// result is the device's Result (OK, ERROR) for the commands it answers with one
	// (RecordCmd, AlarmCmd, HomePosition); Accepted for those GB/T 28181 answers with the
	// MESSAGE's 200 alone (PTZCmd, TeleBoot, IFameCmd, DragZoom).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Result string `json:"result,omitempty"`

	// sentAt is when the command was sent, answeredAt when the device answered;
	// stoppedAt when the stop that follows a move was answered. They are kept to the
	// microsecond: a move's stop is due at sentAt + duration, also for an operator that
	// restarted or took over meanwhile.
	// +optional
	SentAt *metav1.MicroTime `json:"sentAt,omitempty"`
	// +optional
	AnsweredAt *metav1.MicroTime `json:"answeredAt,omitempty"`
	// +optional
	StoppedAt *metav1.MicroTime `json:"stoppedAt,omitempty"`

	// completionTime is when the command finished, succeeded or failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// CameraCommand is one control of a Camera's device: PTZ, presets, reboot, recording,
// key frame, alarm reset, home position, drag zoom.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=camcmd,categories=gb28181
// +kubebuilder:printcolumn:name="Camera",type=string,JSONPath=`.spec.cameraRef.name`
// +kubebuilder:printcolumn:name="Command",type=string,JSONPath=`.status.command`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Result",type=string,JSONPath=`.status.result`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Channel",type=string,JSONPath=`.spec.channelID`,priority=1
type CameraCommand struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the command.
	// +required
	Spec CameraCommandSpec `json:"spec"`

	// status is its outcome.
	// +optional
	Status CameraCommandStatus `json:"status,omitempty"`
}

// CameraCommandList is a list of CameraCommands.
// +kubebuilder:object:root=true
type CameraCommandList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CameraCommand `json:"items"`
}

func init() {
	register(&CameraCommand{}, &CameraCommandList{})
}
