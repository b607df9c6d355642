package camera

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

var shanghai = clockOptions{location: time.FixedZone("CST", 8*3600), maxOffset: 10 * time.Second}

// TestDeviceStatusFrom: the answer's fields, bounded, and the clock read as a local time
// of the devices' zone against when the answer arrived.
func TestDeviceStatusFrom(t *testing.T) {
	arrived := t0.Add(500 * time.Millisecond)
	inputs := []manscdp.AlarmStatus{{DeviceID: "a", DutyStatus: "ONDUTY"}, {DeviceID: "a", DutyStatus: "ALARM"}, {DeviceID: "", DutyStatus: "OFFDUTY"}}
	inputs = append(inputs, manscdp.AlarmStatus{DeviceID: strings.Repeat("x", 100), DutyStatus: "OFFDUTY"})
	for i := range 300 {
		inputs = append(inputs, manscdp.AlarmStatus{DeviceID: fmt.Sprintf("input-%d", i), DutyStatus: "OFFDUTY"})
	}
	d := &manscdp.DeviceStatus{Online: "ONLINE", Status: "ERROR", Reason: strings.Repeat("磁盘故障", 20), Encode: "ON", Record: "OFF",
		DeviceTime: "2025-03-01T16:00:30", Alarms: inputs}
	ds := deviceStatusFrom(d, arrived, shanghai)
	if !ds.Online || ds.Encode != "ON" || ds.Record != "OFF" || !strings.HasPrefix(ds.Status, "ERROR: 磁盘故障") || len(ds.Status) > maxDeviceStatusLen {
		t.Errorf("status %+v", ds)
	}
	if ds.DeviceTime == nil || !ds.DeviceTime.Time.Equal(t0.Add(30*time.Second)) {
		t.Errorf("deviceTime %v, want 16:00:30 China time", ds.DeviceTime)
	}
	if ds.ClockOffset == nil || ds.ClockOffset.Duration != 30*time.Second {
		t.Errorf("clockOffset %v, want 30s (whole seconds)", ds.ClockOffset)
	}
	if !ds.QueriedAt.Time.Equal(t0) {
		t.Errorf("queriedAt %v", ds.QueriedAt)
	}
	if len(ds.AlarmInputs) != maxAlarmInputs || ds.AlarmInputs[0] != (gbv1.AlarmInputStatus{ID: "a", DutyStatus: "ONDUTY"}) || len(ds.AlarmInputs[1].ID) != maxIDLen {
		t.Errorf("%d alarm inputs, first %+v: want at most %d, ids unique and bounded", len(ds.AlarmInputs), ds.AlarmInputs[0], maxAlarmInputs)
	}

	d.DeviceTime = "soon"
	if ds := deviceStatusFrom(d, arrived, shanghai); ds.DeviceTime != nil || ds.ClockOffset != nil {
		t.Errorf("an unreadable DeviceTime gave %v %v", ds.DeviceTime, ds.ClockOffset)
	}
}

func TestClockCondition(t *testing.T) {
	tests := []struct {
		offset time.Duration
		status metav1.ConditionStatus
		reason string
		says   string
	}{
		{0, metav1.ConditionTrue, gbv1.ReasonClockInSync, "within 10s"},
		{-10 * time.Second, metav1.ConditionTrue, gbv1.ReasonClockInSync, "within 10s"},
		{11 * time.Second, metav1.ConditionFalse, gbv1.ReasonClockSkewed, "11s ahead of"},
		{-8 * time.Hour, metav1.ConditionFalse, gbv1.ReasonClockSkewed, "8h0m0s behind"},
	}
	for _, tc := range tests {
		status, reason, msg := clockCondition(tc.offset, 10*time.Second)
		if status != tc.status || reason != tc.reason || !strings.Contains(msg, tc.says) {
			t.Errorf("clockCondition(%v) = %s %s %q", tc.offset, status, reason, msg)
		}
		if status == metav1.ConditionFalse && !strings.Contains(msg, "recordings") {
			t.Errorf("message %q does not say why the clock matters", msg)
		}
	}
}

// TestBuildStatusClock: a DeviceStatus answer sets status.deviceStatus and the
// ClockSynchronized condition; a refresh whose only news is the time costs no write,
// a clock that went off does.
func TestBuildStatusClock(t *testing.T) {
	o := baseObservation()
	o.clock = shanghai
	o.device.Binding = liveBinding(t0.Add(-time.Minute), t0)
	o.query.detail = &detailResult{status: &manscdp.DeviceStatus{Online: "ONLINE", Status: "OK", DeviceTime: "2025-03-01T16:00:02"}, statusAt: t0}
	st, _ := buildStatus(o)
	c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionClockSynchronized)
	if st.DeviceStatus == nil || c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("deviceStatus %+v, condition %+v", st.DeviceStatus, c)
	}

	o.old, o.now = st, t0.Add(30*time.Minute)
	o.device.Binding.LastKeepalive = o.now
	o.query.detail = &detailResult{status: &manscdp.DeviceStatus{Online: "ONLINE", Status: "OK", DeviceTime: "2025-03-01T16:30:03"}, statusAt: o.now}
	refreshed, _ := buildStatus(o)
	if refreshed.DeviceStatus.QueriedAt.Time.Equal(st.DeviceStatus.QueriedAt.Time) {
		t.Fatal("the refreshed answer is not in the desired status")
	}
	if needsWrite(&st, &refreshed, t0, o.now.Add(-time.Second), time.Hour) {
		t.Error("a refresh that brings only a new time and a second of drift is written before the liveness interval")
	}

	o.query.detail = &detailResult{status: &manscdp.DeviceStatus{Online: "ONLINE", Status: "OK", DeviceTime: "2025-03-01T16:35:00"}, statusAt: o.now}
	skewed, _ := buildStatus(o)
	c = meta.FindStatusCondition(skewed.Conditions, gbv1.ConditionClockSynchronized)
	if c.Status != metav1.ConditionFalse || c.Reason != gbv1.ReasonClockSkewed || !needsWrite(&st, &skewed, t0, o.now, time.Hour) {
		t.Errorf("a clock 5m off: condition %+v, written %v", c, needsWrite(&st, &skewed, t0, o.now, time.Hour))
	}
	if evs := transitionEvents(&st, &skewed); len(evs) != 1 || evs[0].reason != gbv1.ReasonClockSkewed || evs[0].eventType != "Warning" {
		t.Errorf("events %+v, want one ClockSkewed Warning", evs)
	}
}
