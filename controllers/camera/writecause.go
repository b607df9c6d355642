package camera

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Why the reconciler writes a Camera's status. A registration storm should cost about
// one write per Camera; when it costs more, the causes say which part of the status
// changed again after the first write (the device's answers to queries, a condition, a
// second registration), which the count of writes alone cannot.

// The causes of a status write, each the first part of the status, in this order, that
// the write changes. A write that changes only liveness fields (the keepalive time, the
// same registration's expiry, unchanged answers received again) is "liveness".
const (
	causeState        = "state"        // status.state
	causeRegistration = "registration" // a new registration, or its contact moved
	causeDevice       = "device"       // deviceType, deviceInfo, deviceStatus, deviceConfig
	causeCatalog      = "catalog"      // channels, channelCount, catalogUpdatedAt
	causeEvents       = "events"       // subscriptions, lastAlarm
	causeConditions   = "conditions"   // a condition alone
	causeLiveness     = "liveness"
	causeOther        = "other" // observedGeneration, shard, guard
)

// statusWriteCauses counts the Camera reconciler's status writes by cause, conflicts
// included: each is a request the API server serves.
var statusWriteCauses = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "camera_operator_camera_status_writes_total",
	Help: "Camera status writes the Camera controller made, by the first part of the status each changed (state, registration, device, catalog, events, conditions, liveness, other).",
}, []string{"cause"})

func init() {
	metrics.Registry.MustRegister(statusWriteCauses)
	for _, c := range []string{causeState, causeRegistration, causeDevice, causeCatalog, causeEvents,
		causeConditions, causeLiveness, causeOther} {
		statusWriteCauses.WithLabelValues(c) // every cause reads 0 from the start
	}
}

// statusWriteCause is why writing desired over old is a write: the first part of the
// status, in the order of the causes above, that desired changes once liveness fields
// are set aside.
func statusWriteCause(old, desired *gbv1.CameraStatus) string {
	m := withoutLiveness(old, desired)
	differ := func(a, b any) bool { return !equality.Semantic.DeepEqual(a, b) }
	switch {
	case old.State != m.State:
		return causeState
	case differ(old.Registration, m.Registration):
		return causeRegistration
	case old.DeviceType != m.DeviceType || differ(old.DeviceInfo, m.DeviceInfo) ||
		differ(old.DeviceStatus, m.DeviceStatus) || differ(old.DeviceConfig, m.DeviceConfig):
		return causeDevice
	case old.ChannelCount != m.ChannelCount || differ(old.Channels, m.Channels) ||
		differ(old.CatalogUpdatedAt, m.CatalogUpdatedAt):
		return causeCatalog
	case differ(old.Subscriptions, m.Subscriptions) || differ(old.LastAlarm, m.LastAlarm):
		return causeEvents
	case differ(old.Conditions, m.Conditions):
		return causeConditions
	case old.ObservedGeneration != m.ObservedGeneration || old.Shard != m.Shard || differ(old.Guard, m.Guard):
		return causeOther
	default:
		return causeLiveness
	}
}
