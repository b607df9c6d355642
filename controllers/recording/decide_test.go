package recording

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	opts := Options{}.WithDefaults()
	binding := &sipd.Binding{DeviceID: "34020000001180000001", Owner: "uid-nvr"}
	camera := func(mut ...func(*gbv1.Camera)) *gbv1.Camera {
		c := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "nvr", UID: "uid-nvr"}, Spec: gbv1.CameraSpec{DeviceID: binding.DeviceID}}
		c.Status.State = gbv1.StateRegistered
		c.Status.Channels = []gbv1.Channel{{ID: "34020000001310000001"}}
		for _, m := range mut {
			m(c)
		}
		return c
	}
	query := func(mut ...func(*gbv1.RecordingQuery)) *gbv1.RecordingQuery {
		rq := &gbv1.RecordingQuery{ObjectMeta: metav1.ObjectMeta{Name: "q", CreationTimestamp: metav1.NewTime(now.Add(-time.Minute))},
			Spec: gbv1.RecordingQuerySpec{CameraRef: gbv1.LocalObjectReference{Name: "nvr"}, ChannelID: "34020000001310000001"}}
		for _, m := range mut {
			m(rq)
		}
		return rq
	}
	finishedAgo := func(phase gbv1.RecordingQueryPhase, ago time.Duration) func(*gbv1.RecordingQuery) {
		return func(rq *gbv1.RecordingQuery) {
			rq.Status.Phase = phase
			rq.Status.CompletionTime = &metav1.Time{Time: now.Add(-ago)}
		}
	}
	oldQuery := func(rq *gbv1.RecordingQuery) { rq.CreationTimestamp = metav1.NewTime(now.Add(-opts.PendingTimeout)) }
	notRegistered := `Camera "nvr" is not registered and online`
	tests := []struct {
		name string
		o    observation
		want plan
	}{
		{"a new query of a registered Camera", observation{rq: query(), camera: camera(), binding: binding}, plan{action: send}},
		{"the device itself, no channel named", observation{rq: query(func(rq *gbv1.RecordingQuery) { rq.Spec.ChannelID = "" }), camera: camera(), binding: binding}, plan{action: send}},
		{"Running with nobody waiting (a restart): sent again", observation{rq: query(func(rq *gbv1.RecordingQuery) { rq.Status.Phase = gbv1.RecordingQueryRunning }), camera: camera(), binding: binding}, plan{action: send}},
		{"no Camera", observation{rq: query()},
			plan{action: wait, reason: gbv1.ReasonCameraNotFound, message: `Camera "nvr" does not exist`, requeue: opts.RetryInterval}},
		{"Camera offline", observation{rq: query(), camera: camera(func(c *gbv1.Camera) { c.Status.State = gbv1.StateOffline }), binding: binding},
			plan{action: wait, reason: gbv1.ReasonCameraNotRegistered, message: notRegistered, requeue: opts.RetryInterval}},
		{"Camera suspended", observation{rq: query(), camera: camera(func(c *gbv1.Camera) { c.Spec.Suspend = true }), binding: binding},
			plan{action: wait, reason: gbv1.ReasonCameraNotRegistered, message: notRegistered, requeue: opts.RetryInterval}},
		{"no registration", observation{rq: query(), camera: camera()},
			plan{action: wait, reason: gbv1.ReasonCameraNotRegistered, message: notRegistered, requeue: opts.RetryInterval}},
		{"the registration is another Camera's", observation{rq: query(), camera: camera(), binding: &sipd.Binding{DeviceID: binding.DeviceID, Owner: "uid-other"}},
			plan{action: wait, reason: gbv1.ReasonCameraConflict, message: `Camera "nvr" does not own device 34020000001180000001: an older Camera claims its ID`, requeue: opts.RetryInterval}},
		{"waited long enough", observation{rq: query(oldQuery), camera: camera()},
			plan{action: fail, reason: gbv1.ReasonCameraNotRegistered, message: notRegistered + ", for 10m0s", requeue: time.Hour}},
		{"a channel the catalog lacks fails at once", observation{rq: query(func(rq *gbv1.RecordingQuery) { rq.Spec.ChannelID = "34020000001310000099" }), camera: camera(), binding: binding},
			plan{action: fail, reason: gbv1.ReasonChannelNotFound, message: `channel "34020000001310000099" is not in Camera "nvr"'s catalog`, requeue: time.Hour}},
		{"finished, kept for its TTL", observation{rq: query(finishedAgo(gbv1.RecordingQueryComplete, 20*time.Minute))}, plan{action: keep, requeue: 40 * time.Minute}},
		{"finished, with a TTL of its own", observation{rq: query(finishedAgo(gbv1.RecordingQueryPartial, 20*time.Second), func(rq *gbv1.RecordingQuery) { rq.Spec.TTLSecondsAfterFinished = ptr.To[int32](30) })},
			plan{action: keep, requeue: 10 * time.Second}},
		{"finished, TTL over", observation{rq: query(finishedAgo(gbv1.RecordingQueryFailed, time.Hour))}, plan{action: expire}},
		{"finished, TTL 0", observation{rq: query(finishedAgo(gbv1.RecordingQueryComplete, 0), func(rq *gbv1.RecordingQuery) { rq.Spec.TTLSecondsAfterFinished = ptr.To[int32](0) })},
			plan{action: expire}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.now = now
			if got := decide(tt.o, opts); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRecordOutcome: what each answer of QueryRecordInfo makes of a query.
func TestRecordOutcome(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	w := window(at(8, 0), at(10, 0))
	items := []manscdp.RecordItem{rawItem("/b", at(9, 0), at(10, 0)), rawItem("/a", at(8, 0), at(8, 30))}
	answer := &manscdp.RecordInfo{SumNum: 2, Items: items}
	partial := &manscdp.RecordInfo{SumNum: 3, Items: items}
	for _, tc := range []struct {
		name       string
		ans        *manscdp.RecordInfo
		err        error
		phase      gbv1.RecordingQueryPhase
		reason     string
		total      int32
		notWritten bool
	}{
		{"every item", answer, nil, gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 2, false},
		{"no recordings", &manscdp.RecordInfo{}, nil, gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 0, false},
		{"a part lost", partial, fmt.Errorf("%w: 2 of 3", sipd.ErrPartialRecordInfo), gbv1.RecordingQueryPartial, gbv1.ReasonPartial, 2, false},
		{"refused", nil, &sipd.QueryError{Code: 403, Reason: "Forbidden"}, gbv1.RecordingQueryFailed, gbv1.ReasonRejected, 0, false},
		{"silence", nil, fmt.Errorf("x: %w", sipd.ErrNoAnswer), gbv1.RecordingQueryFailed, gbv1.ReasonNoAnswer, 0, false},
		{"unreachable", nil, sipd.ErrUnreachable, gbv1.RecordingQueryFailed, gbv1.ReasonNoAnswer, 0, false},
		{"unregistered meanwhile", nil, sipd.ErrNotRegistered, gbv1.RecordingQueryPending, gbv1.ReasonCameraNotRegistered, 0, false},
		{"the registrar's bound", nil, sipd.ErrTooManyQueries, gbv1.RecordingQueryPending, gbv1.ReasonTooManyQueries, 0, false},
		{"the registrar stops", nil, sipd.ErrStopped, gbv1.RecordingQueryRunning, gbv1.ReasonQueryRunning, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := &gbv1.RecordingQuery{Spec: gbv1.RecordingQuerySpec{TimeRange: w}}
			setPhase(rq, gbv1.RecordingQueryRunning, gbv1.ReasonQueryRunning, "sent", now.Add(-time.Second))
			err := recordOutcome(rq, tc.ans, tc.err, beijing, now)
			if notWritten := errors.Is(err, errNotSent); notWritten != tc.notWritten {
				t.Fatalf("recordOutcome: %v", err)
			}
			c := meta.FindStatusCondition(rq.Status.Conditions, gbv1.ConditionComplete)
			if rq.Status.Phase != tc.phase || c == nil || c.Reason != tc.reason || rq.Status.Total != tc.total {
				t.Errorf("phase %s, condition %+v, total %d; want %s %s %d", rq.Status.Phase, c, rq.Status.Total, tc.phase, tc.reason, tc.total)
			}
			if done := rq.Status.CompletionTime != nil; done != finished(rq) {
				t.Errorf("completionTime %v in phase %s", rq.Status.CompletionTime, rq.Status.Phase)
			}
			if (c.Status == metav1.ConditionTrue) != (tc.phase == gbv1.RecordingQueryComplete) {
				t.Errorf("Complete %s in phase %s", c.Status, tc.phase)
			}
		})
	}
}

// TestRecordOutcomeTruncates: an answer of more than 1000 items lists the first 1000 by
// start, counts them all, and says so; its coverage is of every item.
func TestRecordOutcomeTruncates(t *testing.T) {
	start := at(0, 0)
	var items []manscdp.RecordItem
	for i := range 1500 {
		from := start.Add(time.Duration(1499-i) * time.Minute) // in reverse
		items = append(items, rawItem(fmt.Sprintf("/%04d", 1499-i), from, from.Add(30*time.Second)))
	}
	rq := &gbv1.RecordingQuery{Spec: gbv1.RecordingQuerySpec{TimeRange: window(start, start.Add(1500*time.Minute))}}
	if err := recordOutcome(rq, &manscdp.RecordInfo{SumNum: 1500, Items: items}, nil, beijing, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := rq.Status
	if len(s.Items) != gbv1.MaxRecordingItems || !s.Truncated || s.Total != 1500 || s.SumNum != 1500 {
		t.Fatalf("%d items listed of %d, truncated %v", len(s.Items), s.Total, s.Truncated)
	}
	if s.Items[0].FilePath != "/0000" || s.Items[999].FilePath != "/0999" {
		t.Errorf("listed %s to %s, want the first 1000 by start", s.Items[0].FilePath, s.Items[999].FilePath)
	}
	if len(s.Coverage) != gbv1.MaxRecordingItems || s.CoverageSummary != "50% of 25h, 1500 gaps" {
		t.Errorf("%d coverage spans, summary %q", len(s.Coverage), s.CoverageSummary)
	}
}

func TestQuerySlots(t *testing.T) {
	s := newQuerySlots(2, 3)
	r1, ok1 := s.take("a")
	_, ok2 := s.take("a")
	if _, ok := s.take("a"); !ok1 || !ok2 || ok {
		t.Fatal("a third query of one Camera got a slot")
	}
	r3, ok3 := s.take("b")
	if _, ok := s.take("c"); !ok3 || ok {
		t.Fatal("a fourth query in all got a slot")
	}
	r1()
	r1() // twice: one slot given back
	if _, ok := s.take("c"); !ok {
		t.Fatal("a released slot not given again")
	}
	if _, ok := s.take("c"); ok {
		t.Fatal("releasing twice gave back two slots")
	}
	r3()
	if len(s.byCamera) != 2 {
		t.Errorf("%d Cameras with queries in flight, want 2 (a, c)", len(s.byCamera))
	}
}
