package camera

import (
	"testing"
	"time"

	"github.com/go-logr/logr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// newTestSubscriber is a subscriber whose clock is *now, for the decisions of due, plan
// and the outcomes the tests record, which reach the registrar only to ask whether a
// subscription it made is still live (it is).
func newTestSubscriber(now *time.Time) *subscriber {
	opts := Options{now: func() time.Time { return *now }}.WithDefaults()
	return newSubscriber(stillLive{}, opts, nil, func(string) {}, logr.Discard())
}

// stillLive makes no subscriptions, and holds every one the tests record as made.
type stillLive struct{ noSubscriptions }

func (stillLive) SubscriptionLive(string) bool { return true }

// TestSubscriberSchedules walks one device through the subscriber's decisions: nothing
// is done before it registers (Pending), everything declared is due once it does, a
// live subscription is refreshed a quarter of its lifetime before it runs out, a
// refused one waits for the next registration, and one the spec drops is ended.
func TestSubscriberSchedules(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	s := newTestSubscriber(&now)
	spec := gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}, Alarm: &gbv1.AlarmSubscriptionSpec{}}
	want := subscriptionWant{dev: sipd.DeviceRef{ID: "dev", Owner: "uid"}, requests: wantedSubscriptions(spec)}

	if next := s.due(want); !next.IsZero() || len(s.queue) != 0 {
		t.Fatalf("unregistered device: next %v, queue %v; want nothing to do", next, s.queue)
	}
	if v := s.view("dev", "uid"); v[0].state != gbv1.SubscriptionPending || v[1].state != gbv1.SubscriptionPending {
		t.Errorf("unregistered device's view %+v, want Pending", v)
	}

	want.registeredAt = now
	s.due(want)
	d := s.devices["dev"]
	if !d.queued || len(d.plan(now)) != 2 {
		t.Fatalf("registered device: queued %v, plan %+v; want both subscriptions due", d.queued, d.plan(now))
	}
	// The worker's outcomes: the catalog accepted for an hour, the alarm refused.
	d.queued = false
	live := sipd.Subscription{CallID: "c1", Expires: time.Hour, ExpiresAt: now.Add(time.Hour)}
	s.outcomeLocked(d, subscriptionOp{kind: 0, want: d.records[0].want, sub: live}, now)
	s.outcomeLocked(d, subscriptionOp{kind: 1, want: d.records[1].want, err: &sipd.SubscribeError{Code: 489, Reason: "Bad Event"}}, now)
	refresh := now.Add(50 * time.Minute)
	if next := s.due(want); !next.Equal(refresh) {
		t.Errorf("next %v, want the catalog's refresh at %v (the refused alarm waits)", next, refresh)
	}
	now = refresh
	if ops := d.plan(now); len(ops) != 1 || ops[0].kind != 0 || ops[0].live == nil {
		t.Errorf("at the refresh: plan %+v, want the catalog's refresh only", ops)
	}

	// A new registration: the refused one is tried again, the live one made anew.
	want.registeredAt = now
	d.queued = false
	s.due(want)
	if ops := d.plan(now); len(ops) != 2 || ops[0].live != nil || ops[1].live != nil {
		t.Errorf("after a new registration: plan %+v, want both subscribed anew", ops)
	}

	// The spec drops the alarm: its record goes; the catalog's live one is ended.
	d.queued = false
	s.outcomeLocked(d, subscriptionOp{kind: 0, want: d.records[0].want, sub: live}, now)
	want.requests = wantedSubscriptions(gbv1.SubscriptionsSpec{Alarm: &gbv1.AlarmSubscriptionSpec{}})
	s.due(want)
	if ops := d.plan(now); len(ops) != 2 || ops[0].want != nil || ops[0].live == nil || ops[0].live.CallID != "c1" {
		t.Errorf("after the catalog was dropped: plan %+v, want it ended and the alarm made", ops)
	}
}

// TestSubscriberBackoff: failed attempts wait SubscriptionRetryMin, doubling up to
// SubscriptionRetryMax.
func TestSubscriberBackoff(t *testing.T) {
	now := time.Now()
	s := newTestSubscriber(&now)
	for failures, want := range []time.Duration{0, 5 * time.Second, 10 * time.Second, 20 * time.Second} {
		if got := s.backoff(failures); got != want {
			t.Errorf("after %d failures: %v, want %v", failures, got, want)
		}
	}
	if got := s.backoff(30); got != 5*time.Minute {
		t.Errorf("after 30 failures: %v, want the 5m cap", got)
	}
}

// TestSubscriberForget: a forgotten device's live subscriptions are queued to be ended,
// and its records are gone.
func TestSubscriberForget(t *testing.T) {
	now := time.Now()
	s := newTestSubscriber(&now)
	want := subscriptionWant{dev: sipd.DeviceRef{ID: "dev", Owner: "uid"}, registeredAt: now,
		requests: wantedSubscriptions(gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}})}
	s.due(want)
	d := s.devices["dev"]
	s.outcomeLocked(d, subscriptionOp{kind: 0, want: d.records[0].want, sub: sipd.Subscription{CallID: "c1", ExpiresAt: now.Add(time.Hour)}}, now)
	s.forget("dev")
	if len(s.ending) != 1 || s.ending[0].CallID != "c1" || s.devices["dev"] != nil {
		t.Errorf("ending %+v, devices %v", s.ending, s.devices)
	}
}

// TestSubscriptionEndedBeforeRecorded: a subscription the device ended between its 2xx
// and the record of it (its NOTIFY terminated found nothing to end) is not taken for
// Active: it fails, and is made again after the backoff.
func TestSubscriptionEndedBeforeRecorded(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	opts := Options{now: func() time.Time { return now }}.WithDefaults()
	s := newSubscriber(noSubscriptions{}, opts, nil, func(string) {}, logr.Discard())
	s.due(subscriptionWant{dev: sipd.DeviceRef{ID: "dev", Owner: "uid"}, registeredAt: now,
		requests: wantedSubscriptions(gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}})})
	d := s.devices["dev"]
	s.outcomeLocked(d, subscriptionOp{kind: 0, want: d.records[0].want, sub: sipd.Subscription{CallID: "gone", ExpiresAt: now.Add(time.Hour)}}, now)
	if r := d.records[0]; r.live != nil || r.state != gbv1.SubscriptionFailed || !r.nextAt.Equal(now.Add(5*time.Second)) {
		t.Errorf("record %+v, want Failed and tried again in 5s", r)
	}
}
