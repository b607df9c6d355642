package camera

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/gbid"
)

// Defaults of the keepalive contract, for objects that predate the API defaults.
const (
	defaultKeepaliveInterval = 60 * time.Second
	defaultTimeoutCount      = 3
)

// observation is everything the status of one Camera is computed from. It is plain data
// so that buildStatus is a pure function that table tests can drive.
type observation struct {
	now        time.Time
	generation int64
	deviceID   string
	spec       gbv1.CameraSpec
	old        gbv1.CameraStatus
	// shard is the shard this operator serves (Options.Shard).
	shard string
	// winner names the Camera that owns the device ID when this one lost the election,
	// as this Camera's status may name it (winnerName); "" when this Camera is the owner.
	winner string
	creds  secretResolution
	device sipd.DeviceState
	query  queryResult
	// clock says how the device's clock is read and checked (devicestatus.go).
	clock clockOptions
	// events is what the device told on its own (deviceevents.go).
	events deviceObservation
	// watchedSince is when this replica seeded the device's binding from a status that
	// said Registered: its keepalives may have arrived at the previous leader, so the
	// keepalive timeout counts from here at the earliest (zero when not seeded so).
	watchedSince time.Time
}

// buildStatus computes the truthful status of a Camera from what was observed, and
// when it must be looked at again (zero: only on the next event). Liveness throttling
// is not applied here: see needsWrite.
func buildStatus(o observation) (gbv1.CameraStatus, time.Time) {
	st := *o.old.DeepCopy()
	st.ObservedGeneration = o.generation
	st.Shard = o.shard
	st.DeviceType = gbid.DeviceType(o.deviceID)

	credStatus := metav1.ConditionTrue
	if !o.creds.ok {
		credStatus = metav1.ConditionFalse
	}
	setCondition(&st, gbv1.ConditionCredentialsResolved, credStatus, o.creds.reason, o.creds.message, o.generation, o.now)

	var v verdict
	switch b := o.device.Binding; {
	case o.winner != "":
		v = conflictVerdict(o, &st)
	case o.spec.Suspend:
		v = verdict{state: gbv1.StateSuspended,
			registered: cond{metav1.ConditionFalse, gbv1.ReasonSuspended, "spec.suspend is true: the device's registrations are refused"}}
	case b != nil && b.ExpiresAt.After(o.now):
		v = registeredVerdict(o, &st)
	default:
		v = unboundVerdict(o, &st)
	}

	st.State = v.state
	ready := v.registered
	if v.ready != nil {
		ready = *v.ready
	} else if !o.creds.ok && o.winner == "" && !o.spec.Suspend {
		// A missing Secret is what the user has to fix first.
		ready.reason, ready.message = o.creds.reason, o.creds.message
	}
	setCondition(&st, gbv1.ConditionRegistered, v.registered.status, v.registered.reason, v.registered.message, o.generation, o.now)
	setCondition(&st, gbv1.ConditionReady, ready.status, ready.reason, ready.message, o.generation, o.now)

	if o.winner == "" {
		applyQueryResult(&st, o.query)
	}
	applyDeviceDetails(&st, &o)
	applyDeviceEvents(&st, o)
	return st, v.next
}

// cond is a condition's status, reason and message.
type cond struct {
	status          metav1.ConditionStatus
	reason, message string
}

// verdict is what one case of buildStatus decides: the state, the Registered condition,
// the Ready condition when it says more than Registered, and the next deadline.
type verdict struct {
	state      gbv1.CameraState
	registered cond
	ready      *cond
	next       time.Time
}

// conflictVerdict: another, older Camera claims the device ID; nothing of the device
// belongs to this one.
func conflictVerdict(o observation, st *gbv1.CameraStatus) verdict {
	st.Registration, st.LastKeepaliveTime, st.DeviceInfo = nil, nil, nil
	st.Channels, st.ChannelCount, st.CatalogUpdatedAt = nil, 0, nil
	msg := fmt.Sprintf("device ID %s is claimed by %s, which is served instead", o.deviceID, o.winner)
	return verdict{state: gbv1.StateConflict, registered: cond{metav1.ConditionFalse, gbv1.ReasonDuplicateDeviceID, msg}}
}

// registeredVerdict: the device holds a live registration; it is Registered while its
// keepalives arrive, Offline past the keepalive timeout.
func registeredVerdict(o observation, st *gbv1.CameraStatus) verdict {
	b := o.device.Binding
	st.Registration = registrationFromBinding(b)
	if !b.LastKeepalive.IsZero() {
		t := toTime(b.LastKeepalive)
		st.LastKeepaliveTime = &t
	}
	v := verdict{registered: cond{metav1.ConditionTrue, gbv1.ReasonRegistered,
		fmt.Sprintf("registered from %s over %s", st.Registration.RemoteAddr, st.Registration.Transport)}}
	timeout := o.keepaliveTimeout()
	deadline := keepaliveDeadline(o)
	lastSeen := deadline.Add(-timeout)
	if !o.now.Before(deadline) {
		v.state = gbv1.StateOffline
		v.ready = &cond{metav1.ConditionFalse, gbv1.ReasonKeepaliveTimeout,
			fmt.Sprintf("no keepalive since %s (%s)", lastSeen.UTC().Format(time.RFC3339), timeout)}
	} else {
		v.state = gbv1.StateRegistered
		v.ready = &cond{metav1.ConditionTrue, gbv1.ReasonRegistered, "the device is registered and its keepalives arrive"}
		v.next = deadline
	}
	v.next = earliest(v.next, b.ExpiresAt)
	return v
}

// keepaliveDeadline is when a device with a live binding turns Offline unless it shows
// a sign of life (keepalive or REGISTER) before: its keepalive timeout after the last
// one, counted from this replica's takeover at the earliest.
func keepaliveDeadline(o observation) time.Time {
	b := o.device.Binding
	lastSeen := latest(b.LastKeepalive, b.RegisteredAt, b.ExpiresAt.Add(-b.Expires), o.watchedSince)
	return lastSeen.Add(o.keepaliveTimeout())
}

// unboundVerdict: the device holds no live registration; what the registrar remembers
// (or, failing that, the previous status) says why.
func unboundVerdict(o observation, st *gbv1.CameraStatus) verdict {
	v := verdict{registered: cond{status: metav1.ConditionFalse}}
	v.state, v.registered.reason, v.registered.message = unboundState(o)
	if unregistered := o.device.LastUnregistered; v.state == gbv1.StateUnregistered && !unregistered.IsZero() &&
		st.Registration != nil && st.Registration.ExpiresAt.After(unregistered) {
		// The registration ended when the device withdrew it; the last one stays on
		// record (address, user agent), but no longer as running until later.
		st.Registration.ExpiresAt = toTime(unregistered)
	}
	if v.registered.reason == "" {
		// Nothing new is known: keep what the status said and why.
		if c := meta.FindStatusCondition(o.old.Conditions, gbv1.ConditionRegistered); c != nil {
			v.registered.reason, v.registered.message = c.Reason, c.Message
		} else {
			v.registered.reason, v.registered.message = gbv1.ReasonPending, "waiting for the device to register"
		}
	}
	return v
}

// unboundState is the state of a Camera whose device holds no live registration, from
// the registrar's memory of its last failure, unregistration or expiry, the latest of
// which wins. An empty reason means the registrar knows nothing new: the previous status
// is kept where it still holds.
func unboundState(o observation) (gbv1.CameraState, string, string) {
	d := o.device
	expired := d.LastExpired
	if b := d.Binding; b != nil && !b.ExpiresAt.After(o.now) && b.ExpiresAt.After(expired) {
		// The registrar has not swept the binding yet, but it ran out.
		expired = b.ExpiresAt
	}
	switch t := latest(d.LastAuthFailure, d.LastUnregistered, expired); {
	case t.IsZero():
	case t.Equal(d.LastAuthFailure):
		msg := "the device's last REGISTER failed authentication"
		if d.AuthFailureReason != "" {
			msg += ": " + d.AuthFailureReason
		}
		return gbv1.StateAuthFailed, gbv1.ReasonAuthenticationFailed, msg
	case t.Equal(d.LastUnregistered):
		return gbv1.StateUnregistered, gbv1.ReasonUnregistered,
			fmt.Sprintf("the device unregistered at %s", t.UTC().Format(time.RFC3339))
	default:
		return gbv1.StateExpired, gbv1.ReasonRegistrationExpired,
			fmt.Sprintf("the registration ran out at %s without a refresh", t.UTC().Format(time.RFC3339))
	}

	// The registrar has no memory of the device (this replica just took over, or the
	// Camera was suspended, lost an election or belonged to another shard until now).
	if o.old.Shard != o.shard && (o.old.State == gbv1.StateRegistered || o.old.State == gbv1.StateOffline) {
		return gbv1.StateUnregistered, gbv1.ReasonShardChanged,
			fmt.Sprintf("the Camera moved from shard %s to shard %s: the device must register with this shard's SIP address",
				shardName(o.old.Shard), shardName(o.shard))
	}
	switch o.old.State {
	case gbv1.StateRegistered, gbv1.StateOffline:
		if reg := o.old.Registration; reg != nil && !reg.ExpiresAt.After(o.now) {
			return gbv1.StateExpired, gbv1.ReasonRegistrationExpired,
				fmt.Sprintf("the registration ran out at %s without a refresh", reg.ExpiresAt.UTC().Format(time.RFC3339))
		}
		return gbv1.StateUnregistered, gbv1.ReasonUnregistered,
			"the registrar holds no registration for the device: it must register again"
	case gbv1.StateUnregistered, gbv1.StateExpired, gbv1.StateAuthFailed:
		return o.old.State, "", ""
	default:
		return gbv1.StatePending, gbv1.ReasonPending, "waiting for the device to register"
	}
}

// shardName names a shard in messages; the unsharded operator's is "(none)".
func shardName(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// registrationFromBinding converts a live binding, bounding every string to what the
// API accepts so a device cannot make the status write fail.
func registrationFromBinding(b *sipd.Binding) *gbv1.Registration {
	reg := &gbv1.Registration{
		RegisteredAt: toTime(b.RegisteredAt),
		ExpiresAt:    toTime(b.ExpiresAt),
		Expires:      clampInt32(int64(b.Expires / time.Second)),
		RemoteAddr:   devices.Clean(b.RemoteAddr, 64),
		Contact:      devices.Clean(b.Contact, 512),
		UserAgent:    devices.Clean(b.UserAgent, 256),
	}
	switch t := gbv1.Transport(strings.ToUpper(b.Transport)); t {
	case gbv1.TransportUDP, gbv1.TransportTCP:
		reg.Transport = t
	}
	return reg
}

// bindingFromStatus is the inverse of registrationFromBinding, for seeding.
func bindingFromStatus(deviceID string, reg *gbv1.Registration) sipd.Binding {
	return sipd.Binding{
		DeviceID:     deviceID,
		Transport:    string(reg.Transport),
		RemoteAddr:   reg.RemoteAddr,
		Contact:      reg.Contact,
		UserAgent:    reg.UserAgent,
		RegisteredAt: reg.RegisteredAt.Time,
		ExpiresAt:    reg.ExpiresAt.Time,
		Expires:      time.Duration(reg.Expires) * time.Second,
	}
}

// setCondition sets a condition, keeping its lastTransitionTime unless its status
// changes.
func setCondition(st *gbv1.CameraStatus, typ string, status metav1.ConditionStatus, reason, message string, gen int64, now time.Time) {
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type:               typ,
		Status:             status,
		Reason:             reason,
		Message:            devices.Clean(message, 32768),
		ObservedGeneration: gen,
		LastTransitionTime: toTime(now),
	})
}

// toTime is t as the API stores it: in seconds. Comparing an in-memory time with one read
// back from the API would otherwise always differ and cause a write per reconcile.
func toTime(t time.Time) metav1.Time {
	return metav1.NewTime(t.Truncate(time.Second)).Rfc3339Copy()
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// earliest returns the earliest non-zero time.
func earliest(ts ...time.Time) time.Time {
	var e time.Time
	for _, t := range ts {
		if !t.IsZero() && (e.IsZero() || t.Before(e)) {
			e = t
		}
	}
	return e
}

func clampInt32(v int64) int32 {
	switch {
	case v < 0:
		return 0
	case v > 1<<31-1:
		return 1<<31 - 1
	}
	return int32(v)
}
