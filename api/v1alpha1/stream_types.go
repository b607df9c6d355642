package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StreamSpec asks for live video (点播) of one channel of a Camera, sent to a receiver.
type StreamSpec struct {
	// cameraRef names the Camera, in the Stream's namespace, whose channel plays.
	// +required
	CameraRef LocalObjectReference `json:"cameraRef"`

	// channelID is the channel to play: for an NVR one of the channel IDs in the
	// Camera's status catalog; for an IPC it may be left out and is the device ID.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z._-]{1,64}$`
	ChannelID string `json:"channelID,omitempty"`

	// destination is where the device sends the media: a media server's RTP port
	// (ZLMediaKit's openRtpServer, for example) or any RTP receiver.
	// +required
	Destination Destination `json:"destination"`

	// ssrc is the RTP SSRC the device is asked to use, 10 decimal digits as GB/T 28181
	// writes it in y= (the first digit 0 for live video). Default: 0, five digits of the
	// registrar's realm, and four digits unique among this operator's Streams.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{10}$`
	// +kubebuilder:validation:XValidation:rule="int(self) <= 4294967295",message="ssrc must fit in 32 bits"
	SSRC string `json:"ssrc,omitempty"`

	// suspend stops the stream (a BYE to the device) without deleting it; false plays it
	// again.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Destination is the receiver of a Stream's media.
type Destination struct {
	// host is the receiver's IP address or DNS name, as the device must reach it; a name
	// is resolved by the operator when it sends the INVITE.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z.:-]+$`
	Host string `json:"host"`

	// port is the receiver's RTP port.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// transport is UDP (RTP/AVP, the default) or TCP (GB/T 28181-2016 TCP/RTP/AVP with
	// a=setup:passive: the receiver listens on port and the device connects, RTP framed
	// with a 2-byte length as in RFC 4571).
	// +optional
	// +kubebuilder:default=UDP
	Transport Transport `json:"transport,omitempty"`
}

// StreamState is the lifecycle state of a Stream.
// +kubebuilder:validation:Enum=Pending;WaitingForCamera;Inviting;Playing;Failed;Stopped
type StreamState string

// The states of a Stream.
const (
	// StreamPending: not acted on yet.
	StreamPending StreamState = "Pending"
	// StreamWaitingForCamera: the Camera is missing, not registered or offline; the
	// stream is invited when it is back.
	StreamWaitingForCamera StreamState = "WaitingForCamera"
	// StreamInviting: an INVITE is in flight.
	StreamInviting StreamState = "Inviting"
	// StreamPlaying: the device accepted the INVITE and the dialog is live.
	StreamPlaying StreamState = "Playing"
	// StreamFailed: the last INVITE failed; it is retried with backoff.
	StreamFailed StreamState = "Failed"
	// StreamStopped: suspended; no dialog.
	StreamStopped StreamState = "Stopped"
)

// Condition reasons of a Stream's Ready condition.
const (
	ReasonPlaying             = "Playing"
	ReasonCameraNotFound      = "CameraNotFound"
	ReasonCameraNotRegistered = "CameraNotRegistered"
	// ReasonCameraConflict: the Camera does not own its device ID (an older Camera,
	// perhaps in another namespace, claims it), so its device is not played.
	ReasonCameraConflict  = "CameraConflict"
	ReasonChannelNotFound = "ChannelNotFound"
	ReasonRejected        = "Rejected"
	ReasonTimeout         = "Timeout"
	ReasonUnreachable     = "Unreachable"
	ReasonEndedByDevice   = "EndedByDevice"
	ReasonStreamSuspended = "Suspended"
	ReasonTooManyStreams  = "TooManyStreams"
	ReasonSSRCConflict    = "SSRCConflict"
	ReasonInviting        = "Inviting"
)

// StreamDialog is the SIP dialog of a playing Stream: what the operator needs to end it
// with a BYE, also after a restart.
type StreamDialog struct {
	// callID, localTag (the platform's) and remoteTag (the device's) identify the dialog.
	// +kubebuilder:validation:MaxLength=256
	CallID string `json:"callID"`
	// +kubebuilder:validation:MaxLength=128
	LocalTag string `json:"localTag"`
	// +optional
	// +kubebuilder:validation:MaxLength=128
	RemoteTag string `json:"remoteTag,omitempty"`
	// cseq is the platform's last CSeq in the dialog.
	// +kubebuilder:validation:Minimum=0
	CSeq int64 `json:"cseq"`
	// remoteTarget is the device's Contact URI, the BYE's Request-URI.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	RemoteTarget string `json:"remoteTarget,omitempty"`
	// deviceID is the registered device the dialog was made with.
	// +kubebuilder:validation:MaxLength=64
	DeviceID string `json:"deviceID"`
	// transport and remoteAddr are where the dialog's requests go.
	Transport Transport `json:"transport"`
	// +kubebuilder:validation:MaxLength=64
	RemoteAddr string `json:"remoteAddr"`
}

// StreamStatus is what the operator observed of a Stream.
type StreamStatus struct {
	// state is the Stream's lifecycle state.
	// +optional
	State StreamState `json:"state,omitempty"`

	// conditions: Ready is True while the stream plays; its reason says why not
	// otherwise (CameraNotFound, CameraNotRegistered, CameraConflict, ChannelNotFound, Rejected,
	// Timeout, Unreachable, EndedByDevice, Suspended, TooManyStreams, SSRCConflict).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ssrc is the SSRC the stream was invited with.
	// +optional
	SSRC string `json:"ssrc,omitempty"`

	// channelID is the channel invited.
	// +optional
	ChannelID string `json:"channelID,omitempty"`

	// destination is "host:port/transport" of the receiver as invited.
	// +optional
	Destination string `json:"destination,omitempty"`

	// mediaAddr and mediaPort are where the device says the media comes from (its SDP
	// answer).
	// +optional
	MediaAddr string `json:"mediaAddr,omitempty"`
	// +optional
	MediaPort int32 `json:"mediaPort,omitempty"`

	// dialog is the live SIP dialog, absent when there is none.
	// +optional
	Dialog *StreamDialog `json:"dialog,omitempty"`

	// registeredAt is the Camera registration the dialog was made in; a new
	// registration ends it and the stream is invited again.
	// +optional
	RegisteredAt *metav1.Time `json:"registeredAt,omitempty"`

	// startedAt is when the current dialog was confirmed.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// failures counts INVITEs failed, or dialogs the device ended, in a row; the retry
	// backoff doubles with each.
	// +optional
	Failures int32 `json:"failures,omitempty"`

	// nextAttemptAt is when the stream is invited again after a failure.
	// +optional
	NextAttemptAt *metav1.Time `json:"nextAttemptAt,omitempty"`

	// lastByeError is what went wrong with the last BYE, when it got no 200 (the dialog
	// is forgotten anyway).
	// +optional
	LastByeError string `json:"lastByeError,omitempty"`
}

// Stream plays one channel of a Camera to a receiver with INVITE/ACK/BYE (GB/T 28181
// live video, 点播) while it exists and is not suspended.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=st,categories=gb28181
// +kubebuilder:printcolumn:name="Camera",type=string,JSONPath=`.spec.cameraRef.name`
// +kubebuilder:printcolumn:name="Channel",type=string,JSONPath=`.status.channelID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Destination",type=string,JSONPath=`.status.destination`
// +kubebuilder:printcolumn:name="SSRC",type=string,JSONPath=`.status.ssrc`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Stream struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the stream the user asks for.
	// +required
	Spec StreamSpec `json:"spec"`

	// status is what the operator observed of the stream.
	// +optional
	Status StreamStatus `json:"status,omitempty"`
}

// StreamList is a list of Streams.
// +kubebuilder:object:root=true
type StreamList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Stream `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Stream{}, &StreamList{})
}
