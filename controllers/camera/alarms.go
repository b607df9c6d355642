package camera

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// Alarms. The registrar has answered the device before an alarm gets here (by MESSAGE
// or in a NOTIFY: sipd.Event), so nothing below can keep a device waiting. Each alarm
// of a device whose Camera owns its binding:
//   - is counted in camera_operator_alarms_total by priority and method;
//   - becomes a Warning Event on the Camera (reason Alarm), within a per-Camera budget
//     (AlarmEventBurst, then one per AlarmEventInterval; the rest are counted in
//     camera_operator_alarm_events_dropped_total) and the Events budget of all Cameras;
//   - goes to the AlarmSink, when there is one;
//   - becomes status.lastAlarm: the latest alarm waits here until a reconcile writes it,
//     and the device is signalled at most once per AlarmStatusInterval, so a storm
//     costs a status write a second per Camera, not one per alarm; while more than 100
//     devices wait for a status write, ten times less often: like Events, lastAlarm
//     yields to the registrations and failures of a fleet.

// AlarmSink receives each alarm with its Camera; *alarms.Sink implements it. Send must
// not block.
type AlarmSink interface {
	Send(alarms.Alarm) bool
}

var _ AlarmSink = (*alarms.Sink)(nil)

// eventAlarm is the reason and action of Alarm Events.
const eventAlarm = "Alarm"

// alarmPipeline turns device alarms into Events, metrics, sink posts and lastAlarm.
type alarmPipeline struct {
	reader   client.Reader
	recorder events.EventRecorder
	sink     AlarmSink
	opts     DeviceEventOptions
	now      func() time.Time
	// signal tells the reconciler about a device after a delay (0: at once); backlog is
	// the number of devices waiting for it.
	signal  func(deviceID string, after time.Duration)
	backlog func() int
	log     logr.Logger

	mu sync.Mutex
	// limits are the per-Camera Event budgets, by device ID: a device has one Camera,
	// and forget drops both together.
	limits map[string]*rate.Limiter
	// devices hold the latest alarm of each device not yet written, and when its device
	// is next signalled.
	devices map[string]*deviceAlarms
}

// deviceAlarms is what waits for a device's status write.
type deviceAlarms struct {
	latest *gbv1.Alarm
	// signalAt is when the device was last signalled, or is to be.
	signalAt time.Time
}

func newAlarmPipeline(reader client.Reader, recorder events.EventRecorder, opts Options, signal func(string, time.Duration), backlog func() int, log logr.Logger) *alarmPipeline {
	return &alarmPipeline{
		reader: reader, recorder: recorder, sink: opts.DeviceEvents.AlarmSink, opts: opts.DeviceEvents,
		now: opts.now, signal: signal, backlog: backlog, log: log,
		limits: make(map[string]*rate.Limiter), devices: make(map[string]*deviceAlarms),
	}
}

// handle takes one alarm the registrar told.
func (p *alarmPipeline) handle(ev sipd.Event) {
	alarm := alarmFromEvent(ev)
	alarmsReceived(alarm).Inc()
	cam := p.camera(ev)
	if cam == nil {
		p.log.V(1).Info("alarm of a device no Camera owns", "deviceID", ev.DeviceID)
		return
	}
	if p.allow(ev.DeviceID) {
		p.recorder.Eventf(cam, nil, corev1.EventTypeWarning, eventAlarm, eventAlarm, "%s", alarmNote(alarm))
	} else {
		alarmEventsDropped.Inc()
	}
	if p.sink != nil {
		p.sink.Send(sinkAlarm(cam, alarm))
	}
	p.keep(ev.DeviceID, alarm)
}

// camera is the Camera that owns ev's device and its binding, from the cache, with what
// an Event and the sink need of it (its identity and device ID); nil when none does (it
// was deleted, or another took the device over).
func (p *alarmPipeline) camera(ev sipd.Event) *gbv1.Camera {
	cams, err := devices.CamerasWithID(context.Background(), p.reader, ev.DeviceID)
	if err != nil {
		p.log.Error(err, "cannot find the Camera of an alarm", "deviceID", ev.DeviceID)
		return nil
	}
	w := devices.Elect(cams)
	if w == nil || string(w.UID) != ev.Owner {
		return nil
	}
	// Not the cached object, which is shared, nor a deep copy of it, which a storm of
	// alarms would pay for each time. Without a resourceVersion, which each lastAlarm
	// write moves: the Events of one Camera's alarms then make one series (the client's
	// event broadcaster counts the repeats and writes them every few minutes).
	return &gbv1.Camera{
		TypeMeta:   w.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: w.Name, UID: w.UID},
		Spec:       gbv1.CameraSpec{DeviceID: w.Spec.DeviceID},
	}
}

// allow takes one Event of the budget of deviceID's Camera.
func (p *alarmPipeline) allow(deviceID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.limits[deviceID]
	if l == nil {
		l = rate.NewLimiter(rate.Every(p.opts.AlarmEventInterval), p.opts.AlarmEventBurst)
		p.limits[deviceID] = l
	}
	return l.AllowN(p.now(), 1)
}

// backlogAlarmSlowdown is how much less often lastAlarm is written while status writes
// are backlogged.
const backlogAlarmSlowdown = 10

// keep makes alarm the device's latest, and signals the device within
// AlarmStatusInterval of its last signal (ten times that while status writes are
// backlogged).
func (p *alarmPipeline) keep(deviceID string, alarm *gbv1.Alarm) {
	now := p.now()
	every := p.opts.AlarmStatusInterval
	if p.backlog() > statusBacklogForEvents {
		every *= backlogAlarmSlowdown
	}
	p.mu.Lock()
	d := p.devices[deviceID]
	if d == nil {
		d = &deviceAlarms{}
		p.devices[deviceID] = d
	}
	d.latest = alarm
	var after time.Duration
	switch next := d.signalAt.Add(every); {
	case d.signalAt.After(now):
		p.mu.Unlock()
		return // a signal is on its way; it will find this alarm
	case now.Before(next):
		after = next.Sub(now)
		d.signalAt = next
	default:
		d.signalAt = now
	}
	p.mu.Unlock()
	p.signal(deviceID, after)
}

// latest returns the device's alarm not yet written, nil when none.
func (p *alarmPipeline) latest(deviceID string) *gbv1.Alarm {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.devices[deviceID]; d != nil {
		return d.latest
	}
	return nil
}

// consumed releases a once a status holding it was written; a later alarm stays.
func (p *alarmPipeline) consumed(deviceID string, a *gbv1.Alarm) {
	if a == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.devices[deviceID]; d != nil && d.latest == a {
		d.latest = nil
	}
}

// forget drops what is kept of a device and its Camera.
func (p *alarmPipeline) forget(deviceID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.devices, deviceID)
	delete(p.limits, deviceID)
}

// alarmFromEvent is the status form of an alarm, its device-written strings bounded.
func alarmFromEvent(ev sipd.Event) *gbv1.Alarm {
	a := ev.Alarm
	out := &gbv1.Alarm{
		Priority:    clampInt32(int64(a.Priority)),
		Method:      clampInt32(int64(a.Method)),
		ChannelID:   devices.Clean(a.DeviceID, maxIDLen),
		Description: devices.Clean(a.Description, maxFieldLen),
		ReceivedAt:  toTime(ev.At),
	}
	if a.Type > 0 {
		out.Type = strconv.Itoa(a.Type)
	}
	if out.ChannelID == "" {
		out.ChannelID = devices.Clean(ev.DeviceID, maxIDLen)
	}
	if !ev.Time.IsZero() {
		t := toTime(ev.Time)
		out.Time = &t
	}
	if a.Longitude != 0 || a.Latitude != 0 {
		out.Longitude = strconv.FormatFloat(a.Longitude, 'f', -1, 64)
		out.Latitude = strconv.FormatFloat(a.Latitude, 'f', -1, 64)
	}
	return out
}

// alarmMethods name the alarm methods of GB/T 28181.
var alarmMethods = map[int32]string{1: "telephone", 2: "device", 3: "SMS", 4: "GPS", 5: "video", 6: "device fault", 7: "other"}

// alarmNote is an Alarm Event's note: "priority 1 video alarm (type 2) on 3402…0003
// at 2026-12-03T00:00:00Z: 通道1 移动侦测报警".
func alarmNote(a *gbv1.Alarm) string {
	method := alarmMethods[a.Method]
	if method == "" {
		method = "unknown"
	}
	note := fmt.Sprintf("priority %d %s alarm", a.Priority, method)
	if a.Type != "" {
		note += " (type " + a.Type + ")"
	}
	note += " on " + a.ChannelID
	if a.Time != nil {
		note += " at " + a.Time.UTC().Format(time.RFC3339)
	}
	if a.Description != "" {
		note += ": " + a.Description
	}
	return note
}

// sinkAlarm is an alarm as the sink posts it.
func sinkAlarm(cam *gbv1.Camera, a *gbv1.Alarm) alarms.Alarm {
	out := alarms.Alarm{
		Namespace: cam.Namespace, Name: cam.Name, DeviceID: cam.Spec.DeviceID, ChannelID: a.ChannelID,
		Priority: int(a.Priority), Method: int(a.Method), Type: a.Type, Description: a.Description,
		Longitude: a.Longitude, Latitude: a.Latitude, ReceivedAt: a.ReceivedAt.Time,
	}
	if a.Time != nil {
		t := a.Time.Time
		out.Time = &t
	}
	return out
}
