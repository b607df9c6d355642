package camera

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// TestKeepaliveTimeoutFromDevice: each field of spec.keepalive left unset is taken from
// the device's own settings, then the default; a device's numbers are bounded.
func TestKeepaliveTimeoutFromDevice(t *testing.T) {
	dev := &gbv1.DeviceConfig{HeartbeatInterval: duration(100 * time.Second), HeartbeatCount: 4}
	tests := []struct {
		name string
		spec gbv1.KeepaliveSpec
		dev  *gbv1.DeviceConfig
		want time.Duration
	}{
		{"nothing said: 60s x 3", gbv1.KeepaliveSpec{}, nil, 3 * time.Minute},
		{"the device's own settings", gbv1.KeepaliveSpec{}, dev, 400 * time.Second},
		{"spec interval, device count", gbv1.KeepaliveSpec{Interval: duration(5 * time.Second)}, dev, 20 * time.Second},
		{"device interval, spec count", gbv1.KeepaliveSpec{TimeoutCount: 1}, dev, 100 * time.Second},
		{"spec over device", gbv1.KeepaliveSpec{Interval: duration(5 * time.Second), TimeoutCount: 2}, dev, 10 * time.Second},
		{"device says interval only", gbv1.KeepaliveSpec{}, &gbv1.DeviceConfig{HeartbeatInterval: duration(30 * time.Second)}, 90 * time.Second},
		{"device numbers bounded", gbv1.KeepaliveSpec{}, &gbv1.DeviceConfig{HeartbeatInterval: duration(1000 * time.Hour), HeartbeatCount: 5000}, 100 * 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := keepaliveTimeout(tc.spec, tc.dev); got != tc.want {
				t.Errorf("keepaliveTimeout = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDeviceKeepsItsOwnIntervalOnline: under a Camera without spec.keepalive, a device
// that reports keepalives every 100s (x3) and was last heard 200s ago is Registered,
// and turns Offline only 300s after its last keepalive; its settings reach the status.
func TestDeviceKeepsItsOwnIntervalOnline(t *testing.T) {
	o := baseObservation()
	o.spec.Keepalive = gbv1.KeepaliveSpec{}
	o.device.Binding = liveBinding(t0.Add(-20*time.Minute), t0.Add(-200*time.Second))
	o.query.detail = &detailResult{basic: &manscdp.BasicParam{HeartBeatInterval: 100, HeartBeatCount: 3, Expiration: 3600, Name: "gate"}, basicAt: t0}
	st, next := buildStatus(o)
	if st.State != gbv1.StateRegistered {
		t.Fatalf("state %s, want Registered (%v)", st.State, st.Conditions)
	}
	if want := t0.Add(100 * time.Second); !next.Equal(want) {
		t.Errorf("next look at %v, want the device's deadline %v", next, want)
	}
	c := st.DeviceConfig
	if c == nil || c.HeartbeatInterval.Duration != 100*time.Second || c.HeartbeatCount != 3 || c.Expiration.Duration != time.Hour || c.Name != "gate" || !c.QueriedAt.Time.Equal(t0) {
		t.Errorf("deviceConfig = %+v", c)
	}

	// Without the answer in memory, the status's deviceConfig still sets the deadline.
	o.old, o.query.detail = st, nil
	o.now = t0.Add(101 * time.Second)
	st, _ = buildStatus(o)
	if st.State != gbv1.StateOffline {
		t.Errorf("state %s 301s after the last keepalive, want Offline", st.State)
	}
	if c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionReady); c == nil || !strings.Contains(c.Message, "(5m0s)") {
		t.Errorf("Ready = %+v, want the device's 5m0s timeout named", c)
	}
}

func TestDeviceConfigFromBounds(t *testing.T) {
	c := deviceConfigFrom(&manscdp.BasicParam{Name: strings.Repeat("名", 200), HeartBeatInterval: 1 << 40, HeartBeatCount: -1, Expiration: 0}, t0)
	if len(c.Name) > maxFieldLen || c.HeartbeatInterval.Duration != maxHeartbeatInterval || c.HeartbeatCount != 0 || c.Expiration != nil {
		t.Errorf("deviceConfig = %+v (name %d bytes)", c, len(c.Name))
	}
}

func TestConfigureWant(t *testing.T) {
	tests := []struct {
		spec gbv1.KeepaliveSpec
		want *manscdp.BasicConfig
	}{
		{gbv1.KeepaliveSpec{Interval: duration(30 * time.Second), TimeoutCount: 2}, nil},
		{gbv1.KeepaliveSpec{Interval: duration(30 * time.Second), TimeoutCount: 2, ConfigureDevice: true}, &manscdp.BasicConfig{HeartBeatInterval: 30, HeartBeatCount: 2}},
		{gbv1.KeepaliveSpec{Interval: duration(30 * time.Second), ConfigureDevice: true}, &manscdp.BasicConfig{HeartBeatInterval: 30}},
		{gbv1.KeepaliveSpec{ConfigureDevice: true}, nil},
	}
	for _, tc := range tests {
		got := configureWant(tc.spec)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("configureWant(%+v) = %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}

// TestDecideConfigure: settings the device keeps are not written; settings that failed
// are not written again; anything else is, once.
func TestDecideConfigure(t *testing.T) {
	want := manscdp.BasicConfig{HeartBeatInterval: 30, HeartBeatCount: 2}
	keeps := &manscdp.BasicParam{HeartBeatInterval: 30, HeartBeatCount: 2}
	other := &manscdp.BasicParam{HeartBeatInterval: 60, HeartBeatCount: 3}
	failed := configAttempt{settings: want, failed: true}
	tests := []struct {
		name      string
		have      *manscdp.BasicParam
		last      configAttempt
		write     bool
		reason    string
		wantInMsg string
	}{
		{"keeps them already", keeps, configAttempt{}, false, gbv1.ReasonConfigured, "as spec.keepalive asks"},
		{"keeps them after a failed attempt", keeps, failed, false, gbv1.ReasonConfigured, ""},
		{"keeps others: write", other, configAttempt{}, true, "", ""},
		{"does not say: write", nil, configAttempt{}, true, "", ""},
		{"keeps others after they failed: drift, no write", other, failed, false, gbv1.ReasonConfigDrift, "every 1m0s"},
		{"silent after they failed: no write", nil, failed, false, gbv1.ReasonConfigFailed, "not written again"},
		{"other settings failed before: write", other, configAttempt{settings: manscdp.BasicConfig{HeartBeatInterval: 10}, failed: true}, true, "", ""},
		{"took them before, lost them since: write", other, configAttempt{settings: want}, true, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write, v := decideConfigure(want, tc.have, tc.last, 7)
			if write != tc.write {
				t.Fatalf("write = %v, want %v", write, tc.write)
			}
			if tc.reason == "" {
				if v != nil {
					t.Errorf("verdict %+v, want none", v)
				}
				return
			}
			if v == nil || v.reason != tc.reason || v.generation != 7 || !strings.Contains(v.message, tc.wantInMsg) {
				t.Errorf("verdict %+v, want reason %s mentioning %q", v, tc.reason, tc.wantInMsg)
			}
		})
	}
}

// TestConfigureVerdict: how a write ended decides the condition and whether the same
// settings may be written again.
func TestConfigureVerdict(t *testing.T) {
	want := manscdp.BasicConfig{HeartBeatInterval: 30, HeartBeatCount: 2}
	tests := []struct {
		name      string
		err       error
		reread    *manscdp.BasicParam
		status    metav1.ConditionStatus
		reason    string
		failed    bool
		wantInMsg string
	}{
		{"OK and kept", nil, &manscdp.BasicParam{HeartBeatInterval: 30, HeartBeatCount: 2}, metav1.ConditionTrue, gbv1.ReasonConfigured, false, "took"},
		{"OK, does not report", nil, nil, metav1.ConditionTrue, gbv1.ReasonConfigured, false, "does not report"},
		{"OK but keeps others", nil, &manscdp.BasicParam{HeartBeatInterval: 60, HeartBeatCount: 3}, metav1.ConditionFalse, gbv1.ReasonConfigDrift, true, "keeps a keepalive every 1m0s"},
		{"Result ERROR", &sipd.ResultError{CmdType: "DeviceConfig", Result: "ERROR"}, nil, metav1.ConditionFalse, gbv1.ReasonConfigFailed, true, "refused"},
		{"400", &sipd.QueryError{Code: 400, Reason: "Bad Request"}, nil, metav1.ConditionFalse, gbv1.ReasonConfigFailed, true, "refused"},
		{"no answer (a reboot)", fmt.Errorf("wrapped: %w", sipd.ErrNoAnswer), nil, metav1.ConditionFalse, gbv1.ReasonConfigFailed, true, "reboot"},
		{"no 200 at all", sipd.ErrUnreachable, nil, metav1.ConditionFalse, gbv1.ReasonConfigFailed, true, "did not answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, attempt := configureVerdict(want, tc.err, tc.reread, 3)
			if v.status != tc.status || v.reason != tc.reason || v.generation != 3 || !strings.Contains(v.message, tc.wantInMsg) {
				t.Errorf("verdict %+v, want %s %s mentioning %q", v, tc.status, tc.reason, tc.wantInMsg)
			}
			if attempt.settings != want || attempt.failed != tc.failed {
				t.Errorf("attempt %+v, want failed=%v", attempt, tc.failed)
			}
		})
	}
}
