package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RecordingQuerySpec asks a Camera's device which recordings it holds of a channel in a
// span of time (GB/T 28181 §9.7, RecordInfo). A query is one-shot: its spec cannot
// change, and a finished query is deleted after ttlSecondsAfterFinished, as Jobs are.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a RecordingQuery cannot be changed: create another"
type RecordingQuerySpec struct {
	// cameraRef names the Camera, in the query's namespace, whose device is asked.
	// +required
	CameraRef LocalObjectReference `json:"cameraRef"`

	// channelID is the channel whose recordings are searched: for an NVR one of the
	// Camera's catalog, for an IPC it may be left out and is the device ID.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[0-9A-Za-z._-]{1,64}$`
	ChannelID string `json:"channelID,omitempty"`

	// timeRange is the span searched. The device is asked in its own zone (the
	// operator's --sip-timezone), to the second.
	// +required
	TimeRange TimeRange `json:"timeRange"`

	// type of recordings: all, time (scheduled), alarm or manual. The query always
	// carries it: some NVRs require it.
	// +optional
	// +kubebuilder:default=all
	Type RecordingType `json:"type,omitempty"`

	// secrecy of the recordings searched (0 not secret, 1 secret).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	Secrecy int32 `json:"secrecy,omitempty"`

	// filePath restricts the search to a file path the device knows.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FilePath string `json:"filePath,omitempty"`

	// ttlSecondsAfterFinished is how long a finished query is kept (default 1h).
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// RecordingType is a kind of recording GB/T 28181 searches by.
// +kubebuilder:validation:Enum=all;time;alarm;manual
type RecordingType string

// The recording types.
const (
	RecordingAll    RecordingType = "all"
	RecordingTime   RecordingType = "time"
	RecordingAlarm  RecordingType = "alarm"
	RecordingManual RecordingType = "manual"
)

// RecordingQueryPhase is where a query stands.
// +kubebuilder:validation:Enum=Pending;Running;Complete;Partial;Failed
type RecordingQueryPhase string

// The phases of a RecordingQuery.
const (
	// RecordingQueryPending: not sent yet (its Camera is not registered, or queries of
	// its Camera are at their bound).
	RecordingQueryPending RecordingQueryPhase = "Pending"
	// RecordingQueryRunning: sent; the answer's parts are arriving.
	RecordingQueryRunning RecordingQueryPhase = "Running"
	// RecordingQueryComplete: every item the device announced arrived.
	RecordingQueryComplete RecordingQueryPhase = "Complete"
	// RecordingQueryPartial: the answer stopped short of what the device announced.
	RecordingQueryPartial RecordingQueryPhase = "Partial"
	// RecordingQueryFailed: the device refused or never answered, or the Camera cannot
	// be asked (see the Complete condition).
	RecordingQueryFailed RecordingQueryPhase = "Failed"
)

// Condition type and reasons of a RecordingQuery.
const (
	// ConditionComplete is True once the query finished with every item, False with
	// the reason otherwise.
	ConditionComplete = "Complete"

	ReasonQueryRunning = "Running"
	ReasonAnswered     = "Answered"
	ReasonPartial      = "Partial"
	ReasonNoAnswer     = "NoAnswer"
	// ReasonTooManyQueries: queries of the Camera, or of the operator, are at their
	// bound; the query waits Pending.
	ReasonTooManyQueries = "TooManyQueries"
	// ReasonCameraNotFound, ReasonCameraNotRegistered, ReasonCameraConflict and
	// ReasonRejected (the device answered 4xx/5xx) are shared with Streams.
)

// MaxRecordingItems bounds the items a RecordingQuery's status lists; status.total still
// counts them all and status.truncated says so.
const MaxRecordingItems = 1000

// RecordingQueryStatus is the answer of the device.
type RecordingQueryStatus struct {
	// phase is where the query stands.
	// +optional
	Phase RecordingQueryPhase `json:"phase,omitempty"`

	// conditions: Complete.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// sumNum is the number of items the device announced.
	// +optional
	SumNum int32 `json:"sumNum,omitempty"`

	// total is the number of distinct items received.
	// +optional
	Total int32 `json:"total,omitempty"`

	// items are the recordings found, sorted by start, at most 1000.
	// +optional
	// +kubebuilder:validation:MaxItems=1000
	Items []RecordingItem `json:"items,omitempty"`

	// truncated is true when items holds only the first 1000 of total.
	// +optional
	Truncated bool `json:"truncated,omitempty"`

	// coverage are the spans the items cover, merged where they touch or overlap, in
	// order: the gaps between them are what was not recorded.
	// +optional
	// +kubebuilder:validation:MaxItems=1000
	Coverage []TimeRange `json:"coverage,omitempty"`

	// coverageSummary says in a few words how much of the span is covered, for the
	// printer column.
	// +optional
	CoverageSummary string `json:"coverageSummary,omitempty"`

	// startTime is when the query was sent; completionTime when it finished.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// RecordingItem is one recording the device holds.
type RecordingItem struct {
	// name of the recording.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// filePath of the recording on the device.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FilePath string `json:"filePath,omitempty"`
	// deviceID of the channel (or recorder) it belongs to.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DeviceID string `json:"deviceID,omitempty"`
	// start and end of the recording.
	Start metav1.Time `json:"start"`
	End   metav1.Time `json:"end"`
	// type of the recording, as the device reports it.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Type string `json:"type,omitempty"`
	// secrecy of the recording.
	// +optional
	Secrecy int32 `json:"secrecy,omitempty"`
	// size of the file in bytes, when the device reports it.
	// +optional
	Size int64 `json:"size,omitempty"`
}

// RecordingQuery searches the recordings of a Camera's device.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=rq,categories=gb28181
// +kubebuilder:printcolumn:name="Camera",type=string,JSONPath=`.spec.cameraRef.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Items",type=integer,JSONPath=`.status.total`
// +kubebuilder:printcolumn:name="Coverage",type=string,JSONPath=`.status.coverageSummary`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Channel",type=string,JSONPath=`.spec.channelID`,priority=1
// +kubebuilder:printcolumn:name="From",type=string,JSONPath=`.spec.timeRange.start`,priority=1
// +kubebuilder:printcolumn:name="To",type=string,JSONPath=`.spec.timeRange.end`,priority=1
type RecordingQuery struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the search.
	// +required
	Spec RecordingQuerySpec `json:"spec"`

	// status is the device's answer.
	// +optional
	Status RecordingQueryStatus `json:"status,omitempty"`
}

// RecordingQueryList is a list of RecordingQueries.
// +kubebuilder:object:root=true
type RecordingQueryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RecordingQuery `json:"items"`
}

func init() {
	register(&RecordingQuery{}, &RecordingQueryList{})
}
