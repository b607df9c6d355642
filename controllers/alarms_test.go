package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// alarmReceiver is an alarm sink's receiver on 127.0.0.1: it keeps the CloudEvents
// POSTed to it.
type alarmReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []alarmCloudEvent
}

type alarmCloudEvent struct {
	Type   string       `json:"type"`
	Source string       `json:"source"`
	Data   alarms.Alarm `json:"data"`
}

func newAlarmReceiver(t *testing.T) *alarmReceiver {
	r := &alarmReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev alarmCloudEvent
		if err := json.Unmarshal(body, &ev); err != nil || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/cloudevents+json") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *alarmReceiver) received() []alarmCloudEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alarmCloudEvent(nil), r.events...)
}

// metricSum is the sum of a counter's series in controller-runtime's registry.
func metricSum(t *testing.T, name string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return sumCounters(f.GetMetric())
		}
	}
	return 0
}

func sumCounters(ms []*dto.Metric) float64 {
	total := 0.0
	for _, m := range ms {
		total += m.GetCounter().GetValue()
	}
	return total
}

// TestAlarms: an armed device's alarms, by MESSAGE (no alarm subscription) or in an
// alarm subscription's NOTIFYs, each become status.lastAlarm, a count in
// camera_operator_alarms_total and a CloudEvent at the alarm sink naming the Camera;
// Warning Events with reason Alarm are recorded within the Camera's budget (3 here),
// and those past it are counted as dropped. It runs alone (not in parallel), so that the
// process-wide counters move for its alarms only: the alarms counted less those dropped
// are the Events recorded, exactly.
func TestAlarms(t *testing.T) {
	for _, via := range []struct {
		name string
		subs gbv1.SubscriptionsSpec
		id   string
	}{
		{"by MESSAGE", gbv1.SubscriptionsSpec{}, "34020000001320000311"},
		{"in a subscription", gbv1.SubscriptionsSpec{Alarm: &gbv1.AlarmSubscriptionSpec{}}, "34020000001320000312"},
	} {
		t.Run(via.name, func(t *testing.T) {
			c := controlPlane(t)
			ns := newNamespace(t, c)
			sink := newAlarmReceiver(t)
			op := startOperator(t, operatorConfig{namespaces: []string{ns}, alarms: alarms.Config{URL: sink.srv.URL},
				opts: camera.Options{DeviceEvents: camera.DeviceEventOptions{AlarmEventBurst: 3, AlarmEventInterval: time.Hour}}})
			alarms0, dropped0 := metricSum(t, "camera_operator_alarms_total"), metricSum(t, "camera_operator_alarm_events_dropped_total")

			dev := subscribedCamera(t, c, op, ns, "gate", via.id, sim.Config{Alarms: sim.AlarmConfig{Interval: 100 * time.Millisecond, WithoutGuard: true}}, via.subs)
			if via.subs.Alarm != nil {
				deviceSubscriptions(t, dev, "Alarm")
			}
			cam := waitCamera(t, c, ns, "gate", 15*time.Second, func(cam *gbv1.Camera) error {
				a := cam.Status.LastAlarm
				if a == nil || a.Priority < 1 || a.Method < 1 || a.ChannelID == "" || a.Description == "" || a.Time == nil {
					return fmt.Errorf("lastAlarm %+v", a)
				}
				return nil
			})
			// Ten alarms: three Events, seven dropped.
			testutil.Eventually(t, 15*time.Second, "ten alarms at the sink", func() error {
				if n := len(sink.received()); n < 10 {
					return fmt.Errorf("%d alarms at the sink", n)
				}
				return nil
			})
			for _, ev := range sink.received() {
				if ev.Type != alarms.EventType || ev.Data.Namespace != ns || ev.Data.Name != "gate" || ev.Data.DeviceID != via.id ||
					ev.Source != "/apis/gb28181.io/v1alpha1/namespaces/"+ns+"/cameras/gate" {
					t.Fatalf("CloudEvent %+v", ev)
				}
			}
			waitEvents(t, c, ns, "gate", "Alarm")
			// The Events of a Camera's alarms make a series, whose later repeats the
			// client writes every few minutes: the API shows at most the budget.
			if n := alarmOccurrences(t, c, ns, "gate"); n < 1 || n > 3 {
				t.Errorf("%d Alarm Events in the API, want 1 to 3: the Camera's budget", n)
			}
			// The lastAlarm keeps up with the alarms, a write a second at most.
			waitCamera(t, c, ns, "gate", 10*time.Second, func(later *gbv1.Camera) error {
				if !later.Status.LastAlarm.ReceivedAt.After(cam.Status.LastAlarm.ReceivedAt.Time) {
					return fmt.Errorf("lastAlarm still received at %v", later.Status.LastAlarm.ReceivedAt)
				}
				return nil
			})
			// The device stops; every alarm it raised was counted, and all but the
			// budget's three had their Event dropped.
			_ = dev.Close()
			time.Sleep(time.Second)
			handled := metricSum(t, "camera_operator_alarms_total") - alarms0
			dropped := metricSum(t, "camera_operator_alarm_events_dropped_total") - dropped0
			if handled < 10 || handled-dropped != 3 {
				t.Errorf("%v alarms counted, %v of their Events dropped: want at least 10, all but 3 dropped", handled, dropped)
			}
		})
	}
}

// TestAlarmEventsOnlyOnTheOwner: an alarm reaches only the Camera whose credentials
// accepted the device's registration; a Camera that lost the device ID to an older one
// records nothing.
func TestAlarmEventsOnlyOnTheOwner(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const id = "34020000001320000313"
	subscribedCamera(t, c, op, ns, "owner", id, sim.Config{Alarms: sim.AlarmConfig{Interval: 200 * time.Millisecond, WithoutGuard: true}}, gbv1.SubscriptionsSpec{})
	createCamera(t, c, ns, "younger", id, "owner-sip")
	waitCamera(t, c, ns, "younger", 10*time.Second, inState(gbv1.StateConflict, gbv1.ConditionRegistered, gbv1.ReasonDuplicateDeviceID))
	waitEvents(t, c, ns, "owner", "Alarm")
	time.Sleep(time.Second)
	if n := alarmOccurrences(t, c, ns, "younger"); n != 0 {
		t.Errorf("the younger Camera has %d Alarm Events, want none", n)
	}
	if cam := getCamera(t, c, ns, "younger"); cam.Status.LastAlarm != nil {
		t.Errorf("the younger Camera shows lastAlarm %+v", cam.Status.LastAlarm)
	}
}

// alarmOccurrences counts the Alarm Events recorded on a Camera: the client's event
// broadcaster makes a series of Events with the same reason on the same object (the
// note is not part of their identity), so an Event may stand for several.
func alarmOccurrences(t *testing.T, c client.Client, ns, name string) int {
	t.Helper()
	var list eventsv1.EventList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Reason != "Alarm" || e.Regarding.Kind != "Camera" || e.Regarding.Name != name {
			continue
		}
		if e.Series != nil {
			n += int(e.Series.Count)
		} else {
			n++
		}
	}
	return n
}
