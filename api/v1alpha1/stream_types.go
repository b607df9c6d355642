package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StreamSpec asks for video of one channel of a Camera, sent to a receiver: live (点播),
// or a recording played back or downloaded.
// +kubebuilder:validation:XValidation:rule="self.mode == 'Live' ? !has(self.timeRange) : has(self.timeRange)",message="timeRange is required for Playback and Download, and not allowed for Live"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.mode) || oldSelf.mode == self.mode",message="mode cannot change: create another Stream"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.timeRange) || (has(self.timeRange) && oldSelf.timeRange == self.timeRange)",message="the timeRange of a playback cannot change: seek with playback.position"
type StreamSpec struct {
	// mode is Live (default), Playback of a recording at the pace of time, or Download
	// of a recording as fast as the device sends it.
	// +optional
	// +kubebuilder:default=Live
	Mode StreamMode `json:"mode,omitempty"`

	// timeRange is the span of the recording played back or downloaded (Playback and
	// Download only), as the device's RecordInfo lists it (a RecordingQuery finds it).
	// +optional
	TimeRange *TimeRange `json:"timeRange,omitempty"`

	// playback controls a Playback: speed, pause and position, applied within the
	// dialog (INFO, MANSRTSP); Download takes its speed.
	// +optional
	Playback *PlaybackSpec `json:"playback,omitempty"`

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

// StreamMode is what a Stream plays.
// +kubebuilder:validation:Enum=Live;Playback;Download
type StreamMode string

// The Stream modes.
const (
	StreamLive     StreamMode = "Live"
	StreamPlayback StreamMode = "Playback"
	StreamDownload StreamMode = "Download"
)

// PlaybackSpec controls a playback or a download.
type PlaybackSpec struct {
	// scale is the speed of a Playback: 0.25, 0.5, 1, 2 or 4 (PLAY with Scale).
	// +optional
	// +kubebuilder:default="1"
	// +kubebuilder:validation:Enum="0.25";"0.5";"1";"2";"4"
	Scale string `json:"scale,omitempty"`

	// paused pauses a Playback (PAUSE), and resumes it when false again (PLAY).
	// +optional
	Paused bool `json:"paused,omitempty"`

	// position, when set or changed, seeks a Playback to this far into timeRange
	// (PLAY with Range: npt=<seconds>-).
	// +optional
	// +kubebuilder:validation:Type=string
	Position *metav1.Duration `json:"position,omitempty"`

	// downloadSpeed is how many times faster than real time a Download is asked for
	// (a=downloadspeed, default 4).
	// +optional
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32
	DownloadSpeed int32 `json:"downloadSpeed,omitempty"`
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
// +kubebuilder:validation:Enum=Pending;WaitingForCamera;Inviting;Playing;Failed;Stopped;Completed
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
	// StreamCompleted: a Playback or Download reached the end of its recording (the
	// device's MediaStatus 121); it is not played again.
	StreamCompleted StreamState = "Completed"
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
	// ReasonCompleted: a Playback or Download reached the end of its recording.
	ReasonCompleted = "Completed"
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
	// Timeout, Unreachable, EndedByDevice, Suspended, TooManyStreams, SSRCConflict,
	// Completed).
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

	// playback is what the device acknowledged of spec.playback, for a Playback or a
	// Download.
	// +optional
	Playback *PlaybackStatus `json:"playback,omitempty"`

	// completedAt is when a Playback or Download reached its end.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// PlaybackStatus is what the device acknowledged of a playback's controls.
type PlaybackStatus struct {
	// scale the device plays at.
	// +optional
	Scale string `json:"scale,omitempty"`
	// paused is true while the device holds the playback paused.
	// +optional
	Paused bool `json:"paused,omitempty"`
	// position is the last position sought, from the start of the time range.
	// +optional
	Position *metav1.Duration `json:"position,omitempty"`
	// progress of a Download in percent, when the device reports it.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Progress int32 `json:"progress,omitempty"`
	// lastError is what the device answered to the last control it refused.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastError string `json:"lastError,omitempty"`
}

// Stream plays one channel of a Camera to a receiver with INVITE/ACK/BYE (GB/T 28181
// live video, 点播, or a recording's playback or download) while it exists and is not
// suspended.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=st,categories=gb28181
// +kubebuilder:printcolumn:name="Camera",type=string,JSONPath=`.spec.cameraRef.name`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
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
	register(&Stream{}, &StreamList{})
}
