package main

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// trackedCamera is a Camera named name in state, as a watch event brings it.
func trackedCamera(name string, state gbv1.CameraState) *gbv1.Camera {
	return &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: gbv1.CameraStatus{State: state}}
}

// TestTrackerWaitFor checks that waitFor returns when every Camera shows the state
// together, with the arrival of the last event that made it so, and not while one that
// showed it earlier has left it again.
func TestTrackerWaitFor(t *testing.T) {
	tr := newTracker()
	names := []string{"a", "b", "c"}
	for _, n := range names {
		tr.set(trackedCamera(n, gbv1.StateUnregistered), false)
	}
	registered := func(v camView) bool { return v.state == gbv1.StateRegistered }

	type result struct {
		at  time.Time
		err error
	}
	done := make(chan result, 1)
	go func() {
		at, err := tr.waitFor(context.Background(), "Registered", names, 10*time.Second, registered)
		done <- result{at, err}
	}()
	step := func() { time.Sleep(3 * waitForEvery) }

	tr.set(trackedCamera("a", gbv1.StateRegistered), true)
	step()
	tr.set(trackedCamera("b", gbv1.StateRegistered), true)
	step()
	// a leaves the state after waitFor saw it there; c arrives.
	tr.set(trackedCamera("a", gbv1.StateOffline), true)
	tr.set(trackedCamera("c", gbv1.StateRegistered), true)
	step()
	select {
	case r := <-done:
		t.Fatalf("waitFor returned (%v, %v) while a was Offline", r.at, r.err)
	default:
	}
	tr.set(trackedCamera("a", gbv1.StateRegistered), true)
	tr.mu.Lock()
	last := tr.cams["a"].at
	tr.mu.Unlock()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.at.Equal(last) {
		t.Errorf("waitFor returned %v, want the arrival of a's last event, %v", r.at, last)
	}
}

// TestTrackerWaitForTimesOut checks that waitFor gives up after its timeout and says how
// many Cameras are missing.
func TestTrackerWaitForTimesOut(t *testing.T) {
	tr := newTracker()
	tr.set(trackedCamera("a", gbv1.StateRegistered), false)
	tr.set(trackedCamera("b", gbv1.StateOffline), false)
	_, err := tr.waitFor(context.Background(), "Registered", []string{"a", "b"}, 3*waitForEvery, func(v camView) bool { return v.state == gbv1.StateRegistered })
	if err == nil || err.Error() != "Registered: 1 of 2 Cameras still not there after 300ms" {
		t.Errorf("error %v, want the count of the one missing", err)
	}
}

// TestTrackerShownShare: the time from the start to the event that made the Camera of
// the share's rank what it is, by the events' times, whatever the names' order.
func TestTrackerShownShare(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := newTracker()
	for n, s := range map[string]int{"a": 40, "b": 10, "c": 30, "d": 20} {
		tr.cams[n] = shown{camView{state: gbv1.StateRegistered}, start.Add(time.Duration(s) * time.Second)}
	}
	names := []string{"a", "b", "c", "d"}
	for _, tt := range []struct {
		share float64
		want  time.Duration
	}{
		{0.25, 10 * time.Second},
		{0.5, 20 * time.Second},
		{0.51, 30 * time.Second},
		{1, 40 * time.Second},
	} {
		if got := tr.shownShare(names, start, tt.share); got != tt.want {
			t.Errorf("share %v: %v, want %v", tt.share, got, tt.want)
		}
	}
	if got := tr.shownShare([]string{"a", "missing"}, start, 1); got != 0 {
		t.Errorf("a Camera the tracker does not know: %v, want 0", got)
	}
}
