package camera

import (
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/events"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// TestAuthFailureEventsRateLimited: a device retrying a wrong password produces one
// AuthenticationFailed Event per interval, not one per attempt.
func TestAuthFailureEventsRateLimited(t *testing.T) {
	rec := events.NewFakeRecorder(100)
	r := &reconciler{recorder: rec, opts: Options{AuthFailureEventInterval: time.Minute}.WithDefaults()}
	cam := &gbv1.Camera{}
	m := &cameraMemo{}
	fail := func(at time.Duration) sipd.DeviceState {
		return sipd.DeviceState{LastAuthFailure: t0.Add(at), AuthFailureReason: "wrong password"}
	}

	steps := []struct {
		dev  sipd.DeviceState
		now  time.Duration
		want int // events recorded by this step
	}{
		{sipd.DeviceState{}, 0, 0},                    // no failure
		{fail(0), 0, 1},                               // first failure
		{fail(0), time.Second, 0},                     // same failure seen again
		{fail(10 * time.Second), 10 * time.Second, 0}, // new failure within the interval
		{fail(30 * time.Second), 30 * time.Second, 0},
		{fail(61 * time.Second), 61 * time.Second, 1},  // the interval passed
		{fail(61 * time.Second), 200 * time.Second, 0}, // nothing new
	}
	for i, s := range steps {
		r.reportAuthFailure(cam, m, s.dev, t0.Add(s.now))
		got := len(rec.Events)
		for range got {
			e := <-rec.Events
			if !strings.Contains(e, eventAuthenticationFailed) || !strings.Contains(e, "wrong password") {
				t.Errorf("step %d: event %q", i, e)
			}
		}
		if got != s.want {
			t.Errorf("step %d: %d events, want %d", i, got, s.want)
		}
	}
}
