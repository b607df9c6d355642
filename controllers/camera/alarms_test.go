package camera

import (
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestAlarmStatusSignals: the first alarm of a device signals it at once; alarms within
// AlarmStatusInterval after it make one delayed signal, which finds the latest; the
// latest is released once written, unless a newer one came.
func TestAlarmStatusSignals(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	type signal struct {
		id    string
		after time.Duration
	}
	var signals []signal
	opts := Options{now: func() time.Time { return now }}.WithDefaults()
	backlog := 0
	p := newAlarmPipeline(nil, nil, opts, func(id string, after time.Duration) { signals = append(signals, signal{id, after}) }, func() int { return backlog }, logr.Discard())

	alarm := func(desc string) sipd.Event {
		return sipd.Event{Kind: sipd.EventAlarm, DeviceID: "dev", At: now,
			Alarm: &manscdp.Alarm{DeviceID: "ch1", Priority: 1, Method: 5, Type: 2, Description: desc}}
	}
	p.keep("dev", alarmFromEvent(alarm("first")))
	now = now.Add(200 * time.Millisecond)
	p.keep("dev", alarmFromEvent(alarm("second")))
	now = now.Add(200 * time.Millisecond)
	p.keep("dev", alarmFromEvent(alarm("third")))
	if len(signals) != 2 || signals[0].after != 0 || signals[1].after != 800*time.Millisecond {
		t.Fatalf("signals %+v, want one at once and one 800ms later", signals)
	}
	latest := p.latest("dev")
	if latest == nil || latest.Description != "third" {
		t.Fatalf("latest %+v, want the third", latest)
	}
	p.keep("dev", alarmFromEvent(alarm("fourth")))
	p.consumed("dev", latest)
	if got := p.latest("dev"); got == nil || got.Description != "fourth" {
		t.Errorf("after writing the third: %+v, want the fourth kept", got)
	}
	now = now.Add(2 * time.Second)
	p.keep("dev", alarmFromEvent(alarm("fifth")))
	if n := len(signals); n != 3 || signals[2].after != 0 {
		t.Errorf("signals %+v, want a third one at once after a quiet second", signals)
	}
	// Backlogged status writes: the next signal waits ten seconds, not one.
	backlog = statusBacklogForEvents + 1
	now = now.Add(100 * time.Millisecond)
	p.keep("dev", alarmFromEvent(alarm("sixth")))
	if n := len(signals); n != 4 || signals[3].after != 9900*time.Millisecond {
		t.Errorf("signals %+v, want the fourth 9.9s later while backlogged", signals)
	}
}

// TestAlarmStatus: an alarm as status.lastAlarm and its Event's note, the device's text
// bounded.
func TestAlarmStatus(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	long := make([]byte, 400)
	for i := range long {
		long[i] = 'x'
	}
	ev := sipd.Event{Kind: sipd.EventAlarm, DeviceID: "dev", At: at.Add(time.Second), Time: at,
		Alarm: &manscdp.Alarm{DeviceID: "ch1", Priority: 2, Method: 2, Type: 1, Description: "视频丢失\x00" + string(long), Longitude: 116.3, Latitude: 39.9}}
	a := alarmFromEvent(ev)
	if a.Priority != 2 || a.Method != 2 || a.Type != "1" || a.ChannelID != "ch1" || a.Time == nil || !a.Time.Time.Equal(at) ||
		a.Longitude != "116.3" || a.Latitude != "39.9" || len(a.Description) > maxFieldLen || !a.ReceivedAt.Time.Equal(at.Add(time.Second)) {
		t.Errorf("alarm %+v", a)
	}
	if note := alarmNote(a); !strings.HasPrefix(note, "priority 2 device alarm (type 1) on ch1 at 2026-12-03T08:00:00Z: 视频丢失x") {
		t.Errorf("note %q", note)
	}
	bare := alarmFromEvent(sipd.Event{Kind: sipd.EventAlarm, DeviceID: "dev", At: at, Alarm: &manscdp.Alarm{}})
	if bare.ChannelID != "dev" || bare.Time != nil || alarmNote(bare) != "priority 0 unknown alarm on dev" {
		t.Errorf("bare alarm %+v, note %q", bare, alarmNote(bare))
	}
}
