package camera

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// What devices tell on their own reaches the Camera controller as sipd.Events (through
// devices.Changes, the registrar's Config.Events). deviceEvents routes them: a catalog
// NOTIFY's changes to the channel table (channelevents.go), an alarm to the alarm
// pipeline (alarms.go), a NOTIFY's time and a subscription's end to the subscriber
// (subscriptions.go). It signals the device only when the status has something new to
// write; a NOTIFY that only shows the subscription alive (a position, a refresh's
// NOTIFY) updates lastNotifyAt in memory, written with the next liveness write.
//
// A reconcile reads all of it in one observation (observe), writes it, and releases
// what was written (consumed); the subscriptions the Camera declares are kept through
// due.

// deviceEvents is the Camera controller's sipd.EventHandler.
type deviceEvents struct {
	subs     *subscriber
	channels *channelTable
	alarms   *alarmPipeline
	// signal tells the reconciler that a device has news.
	signal func(deviceID string)
}

var _ sipd.EventHandler = (*deviceEvents)(nil)

// HandleEvent implements sipd.EventHandler. It is quick: it updates tables in memory and
// signals the device.
func (e *deviceEvents) HandleEvent(ev sipd.Event) {
	first := ev.CallID != "" && e.subs.notified(ev.DeviceID, ev.CallID, ev.At)
	news := first
	switch ev.Kind {
	case sipd.EventCatalog:
		news = e.channels.add(ev.DeviceID, ev.Owner, ev.Catalog, ev.At) || news
	case sipd.EventAlarm:
		e.alarms.handle(ev) // signals the device itself, at most every AlarmStatusInterval
	case sipd.EventSubscriptionEnded:
		news = e.subs.ended(ev.DeviceID, ev.CallID, ev.Reason) || news
	}
	if news {
		e.signal(ev.DeviceID)
	}
}

// deviceObservation is what a reconcile reads of a device's events.
type deviceObservation struct {
	subscriptions [numSubscriptions]subscriptionView
	channels      []channelChange
	alarm         *gbv1.Alarm
}

// observe reads what waits for deviceID's Camera uid.
func (e *deviceEvents) observe(deviceID string, uid types.UID) deviceObservation {
	return deviceObservation{
		subscriptions: e.subs.view(deviceID, string(uid)),
		channels:      e.channels.pending(deviceID, string(uid)),
		alarm:         e.alarms.latest(deviceID),
	}
}

// consumed releases what a written status holds.
func (e *deviceEvents) consumed(deviceID string, o deviceObservation) {
	e.channels.consumed(deviceID, o.channels)
	e.alarms.consumed(deviceID, o.alarm)
}

// due keeps cam's declared subscriptions with the device's registration b (nil: none)
// and returns when the device needs the subscriber next.
func (e *deviceEvents) due(cam *gbv1.Camera, b *sipd.Binding, now time.Time) time.Time {
	w := subscriptionWant{
		dev:      sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)},
		requests: wantedSubscriptions(cam.Spec.Subscriptions),
	}
	if b != nil && b.ExpiresAt.After(now) && !cam.Spec.Suspend {
		w.registeredAt = b.RegisteredAt
	}
	return e.subs.due(w)
}

// forget drops what is kept of deviceID, and ends its subscriptions.
func (e *deviceEvents) forget(deviceID string) {
	e.subs.forget(deviceID)
	e.channels.forget(deviceID)
	e.alarms.forget(deviceID)
}

// applyDeviceEvents writes what o observed of the device's events into st: the channel
// changes (after a catalog answer of the same observation), the latest alarm, the
// subscriptions and the Subscribed condition. A Camera that lost its device ID to
// another has none of them.
func applyDeviceEvents(st *gbv1.CameraStatus, o observation) {
	if o.winner != "" {
		st.Subscriptions, st.LastAlarm = nil, nil
		meta.RemoveStatusCondition(&st.Conditions, gbv1.ConditionSubscribed)
		return
	}
	var answered time.Time
	if o.query.catalog != nil {
		answered = o.query.catalogAt
	}
	applyChannelChanges(st, o.events.channels, answered)
	if o.events.alarm != nil {
		st.LastAlarm = o.events.alarm.DeepCopy()
	}
	applySubscriptions(st, o.spec, o.events.subscriptions, o.generation, o.now)
}

// newDeviceEvents makes the Camera controller's handler of device events and installs
// it on changes, before the registrar starts. Subscriptions need a registrar that
// makes them (*sipd.Server does); with another, declared subscriptions stay Pending.
// pace paces the subscriber's jobs (nil: never).
func newDeviceEvents(mgr ctrl.Manager, reg Registrar, recorder events.EventRecorder, changes *devices.Changes, opts Options, pace *pacer, log logr.Logger) *deviceEvents {
	subReg, ok := reg.(subscriptionRegistrar)
	if !ok {
		subReg = noSubscriptions{}
	}
	e := &deviceEvents{
		subs:     newSubscriber(subReg, opts, pace, changes.NotifyDetail, log.WithName("subscriptions")),
		channels: newChannelTable(),
		alarms:   newAlarmPipeline(mgr.GetCache(), recorder, opts, changes.NotifyDetailAfter, changes.Backlog, log.WithName("alarms")),
		signal:   changes.NotifyDetail,
	}
	changes.HandleEventsWith(e)
	return e
}

// noSubscriptions is the subscriptionRegistrar of a registrar that makes none.
type noSubscriptions struct{}

var errNoSubscriptions = errors.New("the registrar makes no subscriptions")

func (noSubscriptions) Subscribe(context.Context, sipd.DeviceRef, sipd.SubscribeRequest) (sipd.Subscription, error) {
	return sipd.Subscription{}, errNoSubscriptions
}

func (noSubscriptions) RefreshSubscription(context.Context, sipd.Subscription) (sipd.Subscription, error) {
	return sipd.Subscription{}, errNoSubscriptions
}

func (noSubscriptions) Unsubscribe(context.Context, sipd.Subscription) error { return nil }
func (noSubscriptions) ForgetSubscription(string)                            {}
func (noSubscriptions) SubscriptionLive(string) bool                         { return false }
