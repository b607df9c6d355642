package controllers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/recording"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// RecordingQueries against camsim devices with a recording timeline (sim.RecordConfig:
// segments and gaps aligned on the Unix epoch, answers in parts, in any order, with a
// part left out on request), in the device's zone, Beijing time, as the operator's.

// quickQueries wait little for a lost part and for a Camera that is not there.
var quickQueries = recording.Options{QueryTimeout: 3 * time.Second, PendingTimeout: 4 * time.Second, RetryInterval: 200 * time.Millisecond}

func createQuery(t *testing.T, c client.Client, ns, name, camera string, from, to time.Time, mut ...func(*gbv1.RecordingQuery)) {
	t.Helper()
	rq := &gbv1.RecordingQuery{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.RecordingQuerySpec{
			CameraRef: gbv1.LocalObjectReference{Name: camera},
			TimeRange: gbv1.TimeRange{Start: metav1.NewTime(from), End: metav1.NewTime(to)},
		},
	}
	for _, m := range mut {
		m(rq)
	}
	if err := c.Create(context.Background(), rq); err != nil {
		t.Fatal(err)
	}
}

// waitQuery waits until the query is in phase with the Complete condition's reason.
func waitQuery(t *testing.T, c client.Client, ns, name string, phase gbv1.RecordingQueryPhase, reason string, timeout time.Duration) *gbv1.RecordingQuery {
	t.Helper()
	var rq gbv1.RecordingQuery
	testutil.Eventually(t, timeout, fmt.Sprintf("query %s %s/%s", name, phase, reason), func() error {
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &rq); err != nil {
			return err
		}
		cond := meta.FindStatusCondition(rq.Status.Conditions, gbv1.ConditionComplete)
		if rq.Status.Phase != phase || cond == nil || cond.Reason != reason {
			return fmt.Errorf("phase %q, condition %+v", rq.Status.Phase, cond)
		}
		return nil
	})
	return &rq
}

// checkListing checks what a finished query lists: items in order of start, each once,
// on the device's schedule of segments every period from the epoch (a time read in
// the wrong zone is off it), coverage spans in order inside the span.
func checkListing(t *testing.T, rq *gbv1.RecordingQuery, segment, period time.Duration) {
	t.Helper()
	s := rq.Status
	seen := map[string]bool{}
	for i, it := range s.Items {
		if i > 0 && it.Start.Before(&s.Items[i-1].Start) {
			t.Errorf("item %d starts at %v, before item %d", i, it.Start, i-1)
		}
		key := it.FilePath + it.Start.String()
		if seen[key] {
			t.Errorf("item %s listed twice", key)
		}
		seen[key] = true
		if it.Start.Unix()%int64(period/time.Second) != 0 || it.End.Sub(it.Start.Time) != segment {
			t.Errorf("item %v-%v is not on the device's schedule (%v every %v from the epoch): its times were read in another zone", it.Start.UTC(), it.End.UTC(), segment, period)
		}
	}
	span := rq.Spec.TimeRange
	for i, c := range s.Coverage {
		if c.Start.Before(&span.Start) || span.End.Before(&c.End) || !c.Start.Before(&c.End) || (i > 0 && !s.Coverage[i-1].End.Before(&c.Start)) {
			t.Errorf("coverage span %d %v-%v out of order or outside the query's span", i, c.Start, c.End)
		}
	}
	if s.StartTime == nil || s.CompletionTime == nil || s.CompletionTime.Before(s.StartTime) {
		t.Errorf("startTime %v, completionTime %v", s.StartTime, s.CompletionTime)
	}
}

// TestRecordingQueryComplete: a query of an NVR channel, answered in parts of 3 sent in
// reverse, lists every item once, sorted, read in Beijing time, with the spans they
// cover and a summary; a query of type alarm lists the alarm recordings only; Events
// tell the story.
func TestRecordingQueryComplete(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: quickQueries})
	const nvrID = "34020000001180000701"
	// 30-minute files every 37 minutes: 8 hours (a wrong zone) is not a multiple of 37.
	const segment, gap = 30 * time.Minute, 7 * time.Minute
	streamCamera(t, c, op, ns, "nvr", nvrID, sim.Config{Channels: 2,
		Records: sim.RecordConfig{Span: 24 * time.Hour, Segment: segment, Gap: gap, Page: 3, Order: sim.RecordOrderReverse}})
	waitCamera(t, c, ns, "nvr", 20*time.Second, func(cam *gbv1.Camera) error {
		if len(cam.Status.Channels) != 2 {
			return fmt.Errorf("%d channels", len(cam.Status.Channels))
		}
		return nil
	})
	channel := sim.ChannelID(nvrID, 2, 1)
	to := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	from := to.Add(-6 * time.Hour)
	createQuery(t, c, ns, "all", "nvr", from, to, func(rq *gbv1.RecordingQuery) { rq.Spec.ChannelID = channel })
	rq := waitQuery(t, c, ns, "all", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 20*time.Second)
	s := rq.Status
	// 6 hours hold 9 or 10 files every 37 minutes, the first and last maybe cut.
	if s.SumNum < 9 || s.SumNum > 11 || s.Total != s.SumNum || len(s.Items) != int(s.Total) || s.Truncated {
		t.Errorf("sumNum %d, total %d, %d items listed, truncated %v", s.SumNum, s.Total, len(s.Items), s.Truncated)
	}
	checkListing(t, rq, segment, segment+gap)
	if len(s.Coverage) != len(s.Items) || s.CoverageSummary == "" {
		t.Errorf("%d coverage spans for %d files with gaps between them, summary %q", len(s.Coverage), len(s.Items), s.CoverageSummary)
	}
	for _, it := range s.Items {
		if it.DeviceID != channel || it.FilePath == "" || (it.Type != "time" && it.Type != "alarm") {
			t.Errorf("item %+v", it)
		}
	}

	createQuery(t, c, ns, "alarms", "nvr", from, to, func(rq *gbv1.RecordingQuery) {
		rq.Spec.ChannelID, rq.Spec.Type = channel, gbv1.RecordingAlarm
	})
	alarms := waitQuery(t, c, ns, "alarms", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 20*time.Second)
	if n := alarms.Status.Total; n == 0 || n >= s.Total {
		t.Errorf("%d alarm recordings of %d", n, s.Total)
	}
	for _, it := range alarms.Status.Items {
		if it.Type != "alarm" {
			t.Errorf("a query of alarm recordings lists %+v", it)
		}
	}
	waitKindEvents(t, c, ns, "RecordingQuery", "all", gbv1.ReasonQueryRunning, gbv1.ReasonAnswered)
}

// TestRecordingQueryTruncated: an answer of 1500 items lists the first 1000 by start,
// counts 1500 and says it is truncated; its coverage covers them all.
func TestRecordingQueryTruncated(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: recording.Options{QueryTimeout: 20 * time.Second}})
	const id = "34020000001320000702"
	const segment, gap = 40 * time.Second, 20 * time.Second
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: sim.RecordConfig{Span: 48 * time.Hour, Segment: segment, Gap: gap, Page: 50, MaxItems: 1500, Order: sim.RecordOrderShuffle}})
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)
	from := to.Add(-30 * time.Hour)
	createQuery(t, c, ns, "day", "ipc", from, to)
	rq := waitQuery(t, c, ns, "day", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 30*time.Second)
	s := rq.Status
	if s.SumNum != 1500 || s.Total != 1500 || len(s.Items) != gbv1.MaxRecordingItems || !s.Truncated {
		t.Fatalf("sumNum %d, total %d, %d listed, truncated %v; want 1500, 1500, 1000, true", s.SumNum, s.Total, len(s.Items), s.Truncated)
	}
	checkListing(t, rq, segment, segment+gap)
	// 1500 one-minute periods from the span's start: the listed thousand are the first.
	if first := s.Items[0].Start; first.Sub(from) >= time.Minute {
		t.Errorf("the first item listed starts at %v, %v after the span's start", first, first.Sub(from))
	}
	if len(s.Coverage) != gbv1.MaxRecordingItems || s.CoverageSummary != "55% of 30h, 1500 gaps" {
		t.Errorf("%d coverage spans, summary %q", len(s.Coverage), s.CoverageSummary)
	}
}

// TestRecordingQueryPartial: a device that leaves out one part of its answer ends the
// query Partial after the query's timeout, with the items that arrived.
func TestRecordingQueryPartial(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: quickQueries})
	const id = "34020000001320000703"
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: sim.RecordConfig{Span: 24 * time.Hour, Segment: 10 * time.Minute, Page: 2, DropPart: 2}})
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)
	createQuery(t, c, ns, "lossy", "ipc", to.Add(-2*time.Hour), to)
	rq := waitQuery(t, c, ns, "lossy", gbv1.RecordingQueryPartial, gbv1.ReasonPartial, 20*time.Second)
	// A part holds two items, or one where two do not fit sipgo's datagram limit.
	if s := rq.Status; s.SumNum < 12 || s.Total >= s.SumNum || s.Total < s.SumNum-2 || len(s.Items) != int(s.Total) {
		t.Errorf("sumNum %d, total %d, %d listed: want all but the lost part's", s.SumNum, s.Total, len(s.Items))
	}
	checkListing(t, rq, 10*time.Minute, 10*time.Minute)
	waitKindEvents(t, c, ns, "RecordingQuery", "lossy", gbv1.ReasonPartial)
}

// TestRecordingQueryWaitsAndFails: a query of a Camera that is not registered waits
// Pending and is sent once the device registers; one of a Camera that never comes, or of
// a channel the catalog lacks, fails with the reason.
func TestRecordingQueryWaitsAndFails(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: quickQueries})
	const id = "34020000001320000704"
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)

	createQuery(t, c, ns, "missing", "nowhere", to.Add(-time.Hour), to)
	waitQuery(t, c, ns, "missing", gbv1.RecordingQueryPending, gbv1.ReasonCameraNotFound, 10*time.Second)
	failed := waitQuery(t, c, ns, "missing", gbv1.RecordingQueryFailed, gbv1.ReasonCameraNotFound, 15*time.Second)
	if failed.Status.CompletionTime == nil {
		t.Error("failed query without a completionTime")
	}

	createSecret(t, c, ns, "ipc-sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "ipc", id, "ipc-sip")
	waitKnown(t, op, id)
	createQuery(t, c, ns, "later", "ipc", to.Add(-time.Hour), to)
	waitQuery(t, c, ns, "later", gbv1.RecordingQueryPending, gbv1.ReasonCameraNotRegistered, 10*time.Second)
	dev, err := sim.NewDevice(sim.Config{ID: id, Password: "pw", Server: op.addr(), LocalIP: "127.0.0.1", Records: recordedHours, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if rq := waitQuery(t, c, ns, "later", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 15*time.Second); rq.Status.Total == 0 {
		t.Error("no recordings in an hour of a continuous timeline")
	}

	// Once the catalog is known, a channel it lacks is not asked for: the spec cannot
	// change, so the query fails at once.
	waitCamera(t, c, ns, "ipc", 10*time.Second, func(cam *gbv1.Camera) error {
		if len(cam.Status.Channels) == 0 {
			return errors.New("no catalog yet")
		}
		return nil
	})
	createQuery(t, c, ns, "no-channel", "ipc", to.Add(-time.Hour), to, func(rq *gbv1.RecordingQuery) { rq.Spec.ChannelID = "34020000001310999999" })
	waitQuery(t, c, ns, "no-channel", gbv1.RecordingQueryFailed, gbv1.ReasonChannelNotFound, 10*time.Second)
}

// TestRecordingQueryTTL: a finished query is deleted once its ttlSecondsAfterFinished
// has passed; one with the default (an hour) stays.
func TestRecordingQueryTTL(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: quickQueries})
	const id = "34020000001320000705"
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: recordedHours})
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)
	createQuery(t, c, ns, "brief", "ipc", to.Add(-time.Hour), to, func(rq *gbv1.RecordingQuery) { rq.Spec.TTLSecondsAfterFinished = ptr.To[int32](2) })
	createQuery(t, c, ns, "kept", "ipc", to.Add(-time.Hour), to)
	brief := waitQuery(t, c, ns, "brief", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 15*time.Second)
	testutil.Eventually(t, 15*time.Second, "the brief query deleted", func() error {
		err := c.Get(context.Background(), client.ObjectKeyFromObject(brief), &gbv1.RecordingQuery{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		return errors.Join(err, errors.New("still there"))
	})
	if gone := time.Since(brief.Status.CompletionTime.Time); gone < 2*time.Second {
		t.Errorf("deleted %v after it finished, before its TTL of 2s", gone)
	}
	kept := waitQuery(t, c, ns, "kept", gbv1.RecordingQueryComplete, gbv1.ReasonAnswered, 15*time.Second)
	if kept.Spec.TTLSecondsAfterFinished == nil || *kept.Spec.TTLSecondsAfterFinished != 3600 {
		t.Errorf("default TTL %v, want 3600", kept.Spec.TTLSecondsAfterFinished)
	}
}

// TestRecordingQueriesBounded: with one query in flight per Camera, three queries of a
// Camera whose answers take the query's whole timeout (a part is always lost) go one at
// a time: the others wait Pending with reason TooManyQueries, and all end Partial.
func TestRecordingQueriesBounded(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	opts := quickQueries
	opts.MaxQueriesPerCamera, opts.QueryTimeout = 1, 2*time.Second
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, recordings: opts})
	const id = "34020000001320000706"
	streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: sim.RecordConfig{Span: 24 * time.Hour, Segment: 10 * time.Minute, Page: 2, DropPart: 1}})
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)
	names := []string{"q1", "q2", "q3"}
	for _, name := range names {
		createQuery(t, c, ns, name, "ipc", to.Add(-time.Hour), to)
	}
	waited := 0
	var runs []*gbv1.RecordingQuery
	for _, name := range names {
		rq := waitQuery(t, c, ns, name, gbv1.RecordingQueryPartial, gbv1.ReasonPartial, 30*time.Second)
		runs = append(runs, rq)
		reasons, err := kindEventReasons(c, ns, "RecordingQuery", name)
		if err != nil {
			t.Fatal(err)
		}
		waited += reasons[gbv1.ReasonTooManyQueries]
	}
	if waited == 0 {
		t.Error("no query waited for the Camera's bound")
	}
	// One at a time: no two spans from startTime to completionTime overlap.
	for i, a := range runs {
		for _, b := range runs[i+1:] {
			if a.Status.StartTime.Before(b.Status.CompletionTime) && b.Status.StartTime.Before(a.Status.CompletionTime) {
				t.Errorf("%s (%v-%v) and %s (%v-%v) were in flight together", a.Name, a.Status.StartTime, a.Status.CompletionTime, b.Name, b.Status.StartTime, b.Status.CompletionTime)
			}
		}
	}
}
