package camera

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
)

// What the status says of subscriptions: status.subscriptions[] (one entry per declared
// subscription: event, state, expiresAt, lastNotifyAt, the reason of its last failure)
// and the Subscribed condition, computed from the subscriber's view (pure, like
// buildStatus). A subscription this replica has not tried yet (it just took over) keeps
// the entry the status had, so a restart writes nothing until there is news. Its
// expiresAt and lastNotifyAt are liveness (throttle.go): moved by refreshes and NOTIFYs,
// they are written with the next liveness write, unless the first lastNotifyAt.

// applySubscriptions sets st's subscriptions and Subscribed condition from what spec
// declares and views show.
func applySubscriptions(st *gbv1.CameraStatus, spec gbv1.CameraSpec, views [numSubscriptions]subscriptionView, gen int64, now time.Time) {
	declared := wantedSubscriptions(spec.Subscriptions)
	var out []gbv1.SubscriptionStatus
	for k, event := range subscriptionEvents {
		if declared[k] == nil {
			continue
		}
		out = append(out, subscriptionEntry(event, views[k], findSubscription(st.Subscriptions, event)))
	}
	st.Subscriptions = out
	if len(out) == 0 {
		meta.RemoveStatusCondition(&st.Conditions, gbv1.ConditionSubscribed)
		return
	}
	c := subscribedCondition(out, spec)
	setCondition(st, gbv1.ConditionSubscribed, c.status, c.reason, c.message, gen, now)
}

// subscriptionEntry is the status entry of one declared subscription.
func subscriptionEntry(event gbv1.SubscriptionEvent, v subscriptionView, old *gbv1.SubscriptionStatus) gbv1.SubscriptionStatus {
	if v.state == "" {
		if old != nil {
			return *old.DeepCopy()
		}
		return gbv1.SubscriptionStatus{Event: event, State: gbv1.SubscriptionPending}
	}
	e := gbv1.SubscriptionStatus{Event: event, State: v.state, Reason: devices.Clean(v.reason, maxSubscriptionReason)}
	if v.state == gbv1.SubscriptionActive && !v.expiresAt.IsZero() {
		t := toTime(v.expiresAt)
		e.ExpiresAt = &t
	}
	switch {
	case !v.lastNotify.IsZero():
		t := toTime(v.lastNotify)
		e.LastNotifyAt = &t
	case old != nil && old.LastNotifyAt != nil:
		// Still when the device last notified, though not to this replica.
		e.LastNotifyAt = old.LastNotifyAt.DeepCopy()
	}
	return e
}

func findSubscription(subs []gbv1.SubscriptionStatus, event gbv1.SubscriptionEvent) *gbv1.SubscriptionStatus {
	for i := range subs {
		if subs[i].Event == event {
			return &subs[i]
		}
	}
	return nil
}

// subscribedCondition says whether every declared subscription is active: False with
// SubscriptionFailed while one failed (it is retried), False with Polling while the
// device refused one (its catalog is polled instead), Unknown while one is pending.
func subscribedCondition(subs []gbv1.SubscriptionStatus, spec gbv1.CameraSpec) cond {
	var failed, refused, pending, active []string
	for _, s := range subs {
		name := string(s.Event)
		switch s.State {
		case gbv1.SubscriptionFailed:
			failed = append(failed, name+" failed: "+orDefault(s.Reason, "no answer")+"; retrying")
		case gbv1.SubscriptionRefused:
			refused = append(refused, "the device refused "+name+" ("+orDefault(s.Reason, "no reason")+"): "+fallback(s.Event, spec))
		case gbv1.SubscriptionActive:
			active = append(active, name)
		default:
			pending = append(pending, name+": "+orDefault(s.Reason, "subscribing"))
		}
	}
	switch {
	case len(failed) > 0:
		return cond{metav1.ConditionFalse, gbv1.ReasonSubscriptionFailed, strings.Join(append(failed, refused...), "; ")}
	case len(refused) > 0:
		return cond{metav1.ConditionFalse, gbv1.ReasonPolling, strings.Join(refused, "; ")}
	case len(pending) > 0:
		return cond{metav1.ConditionUnknown, gbv1.ReasonPending, strings.Join(pending, "; ")}
	}
	return cond{metav1.ConditionTrue, gbv1.ReasonSubscribed, strings.Join(active, ", ") + " active"}
}

// fallback says what the operator does instead of a refused subscription.
func fallback(event gbv1.SubscriptionEvent, spec gbv1.CameraSpec) string {
	switch event {
	case gbv1.SubscriptionCatalog:
		if spec.Catalog.Disabled {
			return "its catalog is not polled either (spec.catalog.disabled)"
		}
		refresh := defaultCatalogRefresh
		if r := spec.Catalog.RefreshInterval; r != nil && r.Duration > 0 {
			refresh = r.Duration
		}
		return fmt.Sprintf("its catalog is polled every %s instead", refresh)
	case gbv1.SubscriptionAlarm:
		return "alarms arrive only when the device sends them by MESSAGE"
	}
	return "no positions arrive"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// subscriptionLiveness puts desired's subscription expiries and notify times back to
// old's where nothing else of the entry changed (see withoutLiveness); the first
// lastNotifyAt of an entry is news.
func subscriptionLiveness(old, desired *gbv1.CameraStatus) {
	for i := range desired.Subscriptions {
		d := &desired.Subscriptions[i]
		o := findSubscription(old.Subscriptions, d.Event)
		if o == nil || o.State != d.State || o.Reason != d.Reason {
			continue
		}
		if o.ExpiresAt != nil && d.ExpiresAt != nil {
			d.ExpiresAt = o.ExpiresAt.DeepCopy()
		}
		if o.LastNotifyAt != nil {
			d.LastNotifyAt = o.LastNotifyAt.DeepCopy()
		}
	}
}
