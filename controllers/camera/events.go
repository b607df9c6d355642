package camera

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// Kubernetes Event reasons on Cameras. They mirror the transitions of status.state so
// `kubectl describe camera` tells the device's story.
const (
	eventRegistered           = "Registered"
	eventUnregistered         = "Unregistered"
	eventExpired              = "Expired"
	eventOffline              = "Offline"
	eventCatalogUpdated       = "CatalogUpdated"
	eventAuthenticationFailed = "AuthenticationFailed"
	eventDuplicateDeviceID    = "DuplicateDeviceID"
	eventSuspended            = "Suspended"
)

// Event actions (the events.k8s.io "action" field: what the operator did or saw).
const (
	actionRegister  = "Register"
	actionKeepalive = "Keepalive"
	actionQuery     = "Query"
	actionReconcile = "Reconcile"
)

// cameraEvent is one Kubernetes Event to record on a Camera.
type cameraEvent struct {
	eventType, reason, action, note string
}

// stateEntryEvents are the Events of entering a state other than Registered, and the
// condition whose message explains it.
var stateEntryEvents = map[gbv1.CameraState]struct {
	eventType, reason, action, condition string
}{
	gbv1.StateOffline:      {corev1.EventTypeWarning, eventOffline, actionKeepalive, gbv1.ConditionReady},
	gbv1.StateUnregistered: {corev1.EventTypeNormal, eventUnregistered, actionRegister, gbv1.ConditionRegistered},
	gbv1.StateExpired:      {corev1.EventTypeWarning, eventExpired, actionRegister, gbv1.ConditionRegistered},
	gbv1.StateConflict:     {corev1.EventTypeWarning, eventDuplicateDeviceID, actionReconcile, gbv1.ConditionRegistered},
	gbv1.StateSuspended:    {corev1.EventTypeNormal, eventSuspended, actionReconcile, gbv1.ConditionRegistered},
}

// transitionEvents derives the Events of a status change. AuthenticationFailed is not
// here: a failure is an event of the registrar even when the state does not change, and
// it is rate-limited per Camera by the reconciler.
func transitionEvents(old, cur *gbv1.CameraStatus) []cameraEvent {
	var evs []cameraEvent
	sameRegistration := old.Registration != nil && cur.Registration != nil &&
		old.Registration.RegisteredAt.Equal(&cur.Registration.RegisteredAt)
	switch cur.State {
	case gbv1.StateRegistered:
		switch {
		case old.State == gbv1.StateOffline && sameRegistration:
			evs = append(evs, cameraEvent{corev1.EventTypeNormal, eventRegistered, actionKeepalive,
				"keepalives from the device resumed"})
		case old.State != gbv1.StateRegistered || !sameRegistration:
			r := cur.Registration
			evs = append(evs, cameraEvent{corev1.EventTypeNormal, eventRegistered, actionRegister,
				fmt.Sprintf("registered from %s over %s for %ds (%s)", r.RemoteAddr, r.Transport, r.Expires, r.UserAgent)})
		}
	default:
		// Entering any other state is one event, whose note is the condition that says why.
		if e, ok := stateEntryEvents[cur.State]; ok && old.State != cur.State {
			evs = append(evs, cameraEvent{e.eventType, e.reason, e.action, conditionMessage(cur, e.condition)})
		}
	}
	if cur.CatalogUpdatedAt != nil && (old.CatalogUpdatedAt == nil || old.ChannelCount != cur.ChannelCount ||
		!equality.Semantic.DeepEqual(old.Channels, cur.Channels)) {
		evs = append(evs, cameraEvent{corev1.EventTypeNormal, eventCatalogUpdated, actionQuery,
			fmt.Sprintf("the device's catalog has %d items", cur.ChannelCount)})
	}
	evs = append(evs, deviceConditionEvents(old, cur)...)
	return evs
}

func conditionMessage(st *gbv1.CameraStatus, typ string) string {
	if c := meta.FindStatusCondition(st.Conditions, typ); c != nil {
		return c.Message
	}
	return ""
}
