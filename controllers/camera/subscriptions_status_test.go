package camera

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestApplySubscriptions: status.subscriptions and the Subscribed condition for each
// mix of states, the entries of kinds this replica has not tried kept as they were,
// and none of either when nothing is declared.
func TestApplySubscriptions(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	catalogAlarm := gbv1.CameraSpec{Subscriptions: gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}, Alarm: &gbv1.AlarmSubscriptionSpec{}}}
	active := subscriptionView{state: gbv1.SubscriptionActive, expiresAt: now.Add(time.Hour), lastNotify: now}
	cases := []struct {
		name        string
		spec        gbv1.CameraSpec
		old         []gbv1.SubscriptionStatus
		views       [numSubscriptions]subscriptionView
		wantStates  []gbv1.SubscriptionState
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"all active", catalogAlarm, nil, [numSubscriptions]subscriptionView{active, active},
			[]gbv1.SubscriptionState{gbv1.SubscriptionActive, gbv1.SubscriptionActive}, metav1.ConditionTrue, gbv1.ReasonSubscribed, "Catalog, Alarm active"},
		{"refused catalog", catalogAlarm, nil, [numSubscriptions]subscriptionView{{state: gbv1.SubscriptionRefused, reason: "the device answered 489 Bad Event"}, active},
			[]gbv1.SubscriptionState{gbv1.SubscriptionRefused, gbv1.SubscriptionActive}, metav1.ConditionFalse, gbv1.ReasonPolling, "polled every 1h0m0s"},
		{"failed before refused", catalogAlarm, nil, [numSubscriptions]subscriptionView{{state: gbv1.SubscriptionRefused}, {state: gbv1.SubscriptionFailed, reason: "no answer"}},
			[]gbv1.SubscriptionState{gbv1.SubscriptionRefused, gbv1.SubscriptionFailed}, metav1.ConditionFalse, gbv1.ReasonSubscriptionFailed, "Alarm failed: no answer; retrying"},
		{"waiting for the device", catalogAlarm, nil, [numSubscriptions]subscriptionView{{state: gbv1.SubscriptionPending, reason: "waiting for the device to register"}, active},
			[]gbv1.SubscriptionState{gbv1.SubscriptionPending, gbv1.SubscriptionActive}, metav1.ConditionUnknown, gbv1.ReasonPending, "Catalog: waiting for the device to register"},
		{"not tried yet keeps the status", catalogAlarm,
			[]gbv1.SubscriptionStatus{{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive}, {Event: gbv1.SubscriptionAlarm, State: gbv1.SubscriptionRefused, Reason: "489"}},
			[numSubscriptions]subscriptionView{},
			[]gbv1.SubscriptionState{gbv1.SubscriptionActive, gbv1.SubscriptionRefused}, metav1.ConditionFalse, gbv1.ReasonPolling, "alarms arrive only"},
		{"nothing declared", gbv1.CameraSpec{}, []gbv1.SubscriptionStatus{{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive}},
			[numSubscriptions]subscriptionView{active}, nil, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := gbv1.CameraStatus{Subscriptions: tc.old}
			setCondition(&st, gbv1.ConditionSubscribed, metav1.ConditionTrue, gbv1.ReasonSubscribed, "old", 1, now)
			applySubscriptions(&st, tc.spec, tc.views, 2, now)
			var states []gbv1.SubscriptionState
			for _, s := range st.Subscriptions {
				states = append(states, s.State)
			}
			if len(states) != len(tc.wantStates) {
				t.Fatalf("states %v, want %v", states, tc.wantStates)
			}
			for i := range states {
				if states[i] != tc.wantStates[i] {
					t.Errorf("states %v, want %v", states, tc.wantStates)
				}
			}
			c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionSubscribed)
			if tc.wantReason == "" {
				if c != nil {
					t.Errorf("condition %+v, want none", c)
				}
				return
			}
			if c == nil || c.Status != tc.wantStatus || c.Reason != tc.wantReason || !strings.Contains(c.Message, tc.wantMessage) || c.ObservedGeneration != 2 {
				t.Errorf("condition %+v, want %s/%s saying %q", c, tc.wantStatus, tc.wantReason, tc.wantMessage)
			}
		})
	}
}

// TestSubscriptionExpiryIsLiveness: a refresh (a later expiresAt) or a NOTIFY (a later
// lastNotifyAt) alone waits for the liveness write; a change of state, or the first
// lastNotifyAt, is written at once.
func TestSubscriptionExpiryIsLiveness(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	old := gbv1.CameraStatus{Subscriptions: []gbv1.SubscriptionStatus{{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive, ExpiresAt: &t0, LastNotifyAt: &t0}}}
	for _, tc := range []struct {
		name     string
		desired  gbv1.SubscriptionStatus
		liveness bool
	}{
		{"refreshed", gbv1.SubscriptionStatus{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive, ExpiresAt: &t1, LastNotifyAt: &t0}, true},
		{"notified", gbv1.SubscriptionStatus{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive, ExpiresAt: &t0, LastNotifyAt: &t1}, true},
		{"failed", gbv1.SubscriptionStatus{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionFailed, Reason: "no answer", LastNotifyAt: &t0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired := old.DeepCopy()
			desired.Subscriptions[0] = tc.desired
			if got := livenessOnly(&old, desired); got != tc.liveness {
				t.Errorf("liveness only: %v, want %v", got, tc.liveness)
			}
		})
	}
	first := gbv1.CameraStatus{Subscriptions: []gbv1.SubscriptionStatus{{Event: gbv1.SubscriptionCatalog, State: gbv1.SubscriptionActive, ExpiresAt: &t0}}}
	desired := first.DeepCopy()
	desired.Subscriptions[0].LastNotifyAt = &t1
	if livenessOnly(&first, desired) {
		t.Error("the first lastNotifyAt waits for the liveness write; want it written at once")
	}
}

// TestWantedSubscriptions: the spec's blocks as requests, defaults included.
func TestWantedSubscriptions(t *testing.T) {
	w := wantedSubscriptions(gbv1.SubscriptionsSpec{
		Alarm:          &gbv1.AlarmSubscriptionSpec{MinPriority: 1, MaxPriority: 2, Method: 5, SubscriptionSpec: gbv1.SubscriptionSpec{Expires: &metav1.Duration{Duration: 10 * time.Minute}}},
		MobilePosition: &gbv1.MobilePositionSubscriptionSpec{},
	})
	if w[0] != nil {
		t.Errorf("catalog %+v, want none", w[0])
	}
	if a := w[1]; a == nil || a.Expires != 10*time.Minute || a.MinPriority != 1 || a.MaxPriority != 2 || len(a.Methods) != 1 || a.Methods[0] != 5 {
		t.Errorf("alarm %+v", a)
	}
	if p := w[2]; p == nil || p.Expires != time.Hour || p.Interval != 5*time.Second {
		t.Errorf("position %+v, want the defaults", p)
	}
}
