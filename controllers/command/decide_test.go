package command

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { t := metav1.NewTime(t0.Add(d)); return &t }

func microAt(d time.Duration) *metav1.MicroTime { t := metav1.NewMicroTime(t0.Add(d)); return &t }

// fixture is a command created at t0 for Camera "ipc", whose device is registered.
type fixture struct {
	cmd     *gbv1.CameraCommand
	camera  *gbv1.Camera
	binding *sipd.Binding
}

func newFixture(spec gbv1.CameraCommandSpec) *fixture {
	spec.CameraRef = gbv1.LocalObjectReference{Name: "ipc"}
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "ipc", Namespace: "a", UID: "cam-uid"},
		Spec:   gbv1.CameraSpec{DeviceID: "34020000001320000001"},
		Status: gbv1.CameraStatus{State: gbv1.StateRegistered}}
	return &fixture{
		cmd: &gbv1.CameraCommand{ObjectMeta: metav1.ObjectMeta{Name: "cmd", Namespace: "a", UID: "cmd-uid", CreationTimestamp: metav1.NewTime(t0)},
			Spec: spec},
		camera:  cam,
		binding: &sipd.Binding{DeviceID: cam.Spec.DeviceID, Owner: string(cam.UID)},
	}
}

func (f *fixture) observe(now time.Duration, blocker string) observation {
	ctl, err := controlOf(&f.cmd.Spec)
	return observation{cmd: f.cmd, control: ctl, invalid: err, camera: f.camera, binding: f.binding, blocker: blocker, now: t0.Add(now)}
}

var (
	moveSpec   = gbv1.CameraCommandSpec{PTZ: &gbv1.PTZCommand{Pan: 32, Duration: &metav1.Duration{Duration: 2 * time.Second}}}
	rebootSpec = gbv1.CameraCommandSpec{Reboot: &gbv1.RebootCommand{}}
)

// TestDecide walks the chain of checks, one reason each.
func TestDecide(t *testing.T) {
	opts := Options{CameraWait: 30 * time.Second, StopRetryWindow: 30 * time.Second}.WithDefaults()
	ttl := func(s int32) func(*fixture) { return func(f *fixture) { f.cmd.Spec.TTLSecondsAfterFinished = &s } }
	tests := []struct {
		name    string
		spec    gbv1.CameraCommandSpec
		mutate  func(*fixture)
		now     time.Duration
		blocker string
		want    plan
	}{
		{name: "registered, its turn: send", spec: rebootSpec, want: plan{action: actSend}},
		{name: "an older command goes first", spec: rebootSpec, blocker: "older",
			want: plan{action: actWait, reason: gbv1.ReasonWaiting, message: `CameraCommand "older" of the same Camera goes first`}},
		{name: "Camera missing: wait until CameraWait", spec: rebootSpec, now: 10 * time.Second, mutate: func(f *fixture) { f.camera, f.binding = nil, nil },
			want: plan{action: actWait, reason: gbv1.ReasonCameraNotFound, requeue: 20 * time.Second,
				message: `Camera "ipc" does not exist; the command waits until 2026-12-03T08:00:30Z`}},
		{name: "Camera missing past CameraWait: fail", spec: rebootSpec, now: 30 * time.Second, mutate: func(f *fixture) { f.camera, f.binding = nil, nil },
			want: plan{action: actFail, reason: gbv1.ReasonCameraNotFound, message: `Camera "ipc" does not exist`}},
		{name: "not registered: wait", spec: rebootSpec, now: time.Second, mutate: func(f *fixture) { f.binding = nil; f.camera.Status.State = gbv1.StateUnregistered },
			want: plan{action: actWait, reason: gbv1.ReasonCameraNotRegistered, requeue: 29 * time.Second,
				message: `Camera "ipc" is not registered and online; the command waits until 2026-12-03T08:00:30Z`}},
		{name: "offline (binding kept): wait", spec: rebootSpec, now: time.Second, mutate: func(f *fixture) { f.camera.Status.State = gbv1.StateOffline },
			want: plan{action: actWait, reason: gbv1.ReasonCameraNotRegistered, requeue: 29 * time.Second,
				message: `Camera "ipc" is not registered and online; the command waits until 2026-12-03T08:00:30Z`}},
		{name: "suspended: wait", spec: rebootSpec, now: time.Second, mutate: func(f *fixture) { f.camera.Spec.Suspend = true },
			want: plan{action: actWait, reason: gbv1.ReasonCameraNotRegistered, requeue: 29 * time.Second,
				message: `Camera "ipc" is not registered and online; the command waits until 2026-12-03T08:00:30Z`}},
		{name: "not registered past CameraWait: fail", spec: rebootSpec, now: time.Minute, mutate: func(f *fixture) { f.binding = nil },
			want: plan{action: actFail, reason: gbv1.ReasonCameraNotRegistered, message: `Camera "ipc" is not registered and online`}},
		{name: "another Camera's registration: fail at once", spec: rebootSpec, mutate: func(f *fixture) { f.binding.Owner = "other-uid" },
			want: plan{action: actFail, reason: gbv1.ReasonCameraConflict, message: `Camera "ipc" does not own device 34020000001320000001: an older Camera claims its ID`}},
		{name: "Camera in Conflict: fail at once", spec: rebootSpec, mutate: func(f *fixture) { f.camera.Status.State = gbv1.StateConflict; f.binding = nil },
			want: plan{action: actFail, reason: gbv1.ReasonCameraConflict, message: `Camera "ipc" does not own device 34020000001320000001: an older Camera claims its ID`}},
		{name: "channel not in the catalog", spec: rebootSpec, mutate: func(f *fixture) {
			f.cmd.Spec.ChannelID = "34020000001310000009"
			f.camera.Status.Channels = []gbv1.Channel{{ID: "34020000001310000001"}}
		}, want: plan{action: actFail, reason: gbv1.ReasonChannelNotFound, message: `channel "34020000001310000009" is not in Camera "ipc"'s catalog`}},
		{name: "channel in the catalog", spec: rebootSpec, mutate: func(f *fixture) {
			f.cmd.Spec.ChannelID = "34020000001310000001"
			f.camera.Status.Channels = []gbv1.Channel{{ID: "34020000001310000001"}}
		}, want: plan{action: actSend}},
		{name: "invalid spec: fail", spec: gbv1.CameraCommandSpec{ResetAlarm: &gbv1.ResetAlarmCommand{Type: "x"}},
			want: plan{action: actFail, reason: gbv1.ReasonInvalidCommand, message: `not a valid device control: alarm type "x" is not a number`}},
		{name: "a move sent, not due: look again a lead before it", spec: moveSpec, now: 1500 * time.Millisecond, mutate: func(f *fixture) { sent(f, 0, true) },
			want: plan{action: actNothing, requeue: 250 * time.Millisecond}},
		{name: "a move due within the lead: stop (the act waits for the due time)", spec: moveSpec, now: 1800 * time.Millisecond,
			mutate: func(f *fixture) { sent(f, 0, true) }, want: plan{action: actStop}},
		{name: "a move sent within a second: due to the microsecond", spec: moveSpec, now: 2500 * time.Millisecond, mutate: func(f *fixture) { sent(f, 900*time.Millisecond, true) },
			want: plan{action: actNothing, requeue: 150 * time.Millisecond}},
		{name: "a move due: stop", spec: moveSpec, now: 2 * time.Second, mutate: func(f *fixture) { sent(f, 0, true) },
			want: plan{action: actStop}},
		{name: "a move overdue after a restart: stop at once", spec: moveSpec, now: 10 * time.Minute, mutate: func(f *fixture) { sent(f, 0, true) },
			want: plan{action: actStop}},
		{name: "a move sent and never answered: still stopped when due", spec: moveSpec, now: 3 * time.Second, mutate: func(f *fixture) { sent(f, 0, false) },
			want: plan{action: actStop}},
		{name: "a move deleted mid-move: stop now", spec: moveSpec, now: 500 * time.Millisecond, mutate: func(f *fixture) { sent(f, 0, true); deleting(f) },
			want: plan{action: actStop}},
		{name: "a move deleted before it was sent: let it go", spec: moveSpec, mutate: func(f *fixture) { deleting(f) },
			want: plan{action: actRelease}},
		{name: "a move deleted after its stop: let it go", spec: moveSpec, now: 3 * time.Second, mutate: func(f *fixture) {
			sent(f, 0, true)
			f.cmd.Status.StoppedAt = microAt(2 * time.Second)
			deleting(f)
		}, want: plan{action: actRelease}},
		{name: "another command found Sent: interrupted", spec: rebootSpec, mutate: func(f *fixture) { sent(f, 0, false) },
			want: plan{action: actFail, reason: gbv1.ReasonInterrupted,
				message: "the operator stopped after sending the command and before the device answered; it is not sent again"}},
		{name: "finished with its finalizer: release", spec: moveSpec, mutate: func(f *fixture) { done(f, 0); f.cmd.Finalizers = []string{stopFinalizer} },
			want: plan{action: actRelease}},
		{name: "finished, TTL running", spec: rebootSpec, now: 5 * time.Minute, mutate: func(f *fixture) { done(f, time.Minute) },
			want: plan{action: actNothing, requeue: 6 * time.Minute}},
		{name: "finished, TTL over", spec: rebootSpec, now: 11 * time.Minute, mutate: func(f *fixture) { done(f, time.Minute) },
			want: plan{action: actDelete}},
		{name: "finished, TTL of 5s", spec: rebootSpec, now: 3 * time.Second, mutate: func(f *fixture) { done(f, time.Second); ttl(5)(f) },
			want: plan{action: actNothing, requeue: 3 * time.Second}},
		{name: "finished, TTL of 0: delete at once", spec: rebootSpec, now: time.Second, mutate: func(f *fixture) { done(f, time.Second); ttl(0)(f) },
			want: plan{action: actDelete}},
		{name: "finished: an older command does not matter", spec: rebootSpec, blocker: "older", now: time.Second,
			mutate: func(f *fixture) { done(f, time.Second); ttl(5)(f) }, want: plan{action: actNothing, requeue: 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.spec)
			if tt.mutate != nil {
				tt.mutate(f)
			}
			got := decide(f.observe(tt.now, tt.blocker), opts)
			if got != tt.want {
				t.Errorf("decide = %+v\nwant     %+v", got, tt.want)
			}
		})
	}
}

func sent(f *fixture, d time.Duration, answered bool) {
	f.cmd.Status.Phase, f.cmd.Status.SentAt = gbv1.CommandSent, microAt(d)
	if answered {
		f.cmd.Status.AnsweredAt = microAt(d)
	}
	f.cmd.Finalizers = []string{stopFinalizer}
}

func done(f *fixture, d time.Duration) {
	f.cmd.Status.Phase, f.cmd.Status.CompletionTime = gbv1.CommandSucceeded, at(d)
}

func deleting(f *fixture) {
	f.cmd.DeletionTimestamp = at(0)
	f.cmd.Finalizers = []string{stopFinalizer}
}

// TestStopGivenUp: a stop is retried for StopRetryWindow past its due time.
func TestStopGivenUp(t *testing.T) {
	opts := Options{StopRetryWindow: 30 * time.Second}.WithDefaults()
	f := newFixture(moveSpec)
	sent(f, 0, true)
	ctl, _ := controlOf(&f.cmd.Spec)
	for _, tc := range []struct {
		now  time.Duration
		want bool
	}{{2 * time.Second, false}, {31 * time.Second, false}, {32 * time.Second, true}, {time.Hour, true}} {
		if got := stopGivenUp(f.cmd, ctl, t0.Add(tc.now), opts); got != tc.want {
			t.Errorf("at %v: stopGivenUp = %v, want %v", tc.now, got, tc.want)
		}
	}
}

// TestOutcomeOf: each registrar error says whether the command was sent, and with which
// reason it fails.
func TestOutcomeOf(t *testing.T) {
	for _, tc := range []struct {
		name         string
		err          error
		want         sendResult
		reason       string
		deviceResult string
	}{
		{"answered", nil, answered, "", ""},
		{"registrar stopping", sipd.ErrStopped, interrupted, gbv1.ReasonInterrupted, ""},
		{"leadership lost mid-wait", errors.Join(errors.New("incomplete"), contextCanceled()), interrupted, gbv1.ReasonInterrupted, ""},
		{"registrar's bound", sipd.ErrTooManyQueries, notSent, gbv1.ReasonTooManyCommands, ""},
		{"transactions bound", sipd.ErrTooManyTransactions, notSent, gbv1.ReasonTooManyCommands, ""},
		{"not registered", sipd.ErrNotRegistered, notSent, gbv1.ReasonCameraNotRegistered, ""},
		{"not the owner", sipd.ErrNotOwner, failed, gbv1.ReasonCameraConflict, ""},
		{"Result ERROR", &sipd.ResultError{CmdType: "DeviceControl", Result: "ERROR"}, failed, gbv1.ReasonDeviceRefused, "ERROR"},
		{"403 to the MESSAGE", &sipd.QueryError{Code: 403, Reason: "Forbidden"}, failed, gbv1.ReasonDeviceRefused, ""},
		{"no Response", errors.Join(sipd.ErrNoAnswer, contextDeadline()), failed, gbv1.ReasonTimeout, ""},
		{"no 200", sipd.ErrTimeout, failed, gbv1.ReasonTimeout, ""},
		{"deadline before the 200", contextDeadline(), failed, gbv1.ReasonTimeout, ""},
		{"connection gone", sipd.ErrUnreachable, failed, gbv1.ReasonUnreachable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(tc.err, "TeleBoot Boot")
			if got.result != tc.want || got.reason != tc.reason || got.deviceResult != tc.deviceResult {
				t.Errorf("outcomeOf(%v) = %+v, want result %d reason %q device result %q", tc.err, got, tc.want, tc.reason, tc.deviceResult)
			}
		})
	}
}

// TestQueueOrder: a command waits for the oldest unfinished command created before it
// (by timestamp, then name); finished and younger ones do not hold it.
func TestQueueOrder(t *testing.T) {
	mk := func(name string, created time.Duration, phase gbv1.CameraCommandPhase) *gbv1.CameraCommand {
		return &gbv1.CameraCommand{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), CreationTimestamp: metav1.NewTime(t0.Add(created))},
			Status: gbv1.CameraCommandStatus{Phase: phase}}
	}
	queue := []*gbv1.CameraCommand{
		mk("d-young", 3*time.Second, ""),
		mk("c-same-second", time.Second, gbv1.CommandPending),
		mk("a-done", 0, gbv1.CommandSucceeded),
		mk("b-failed", 0, gbv1.CommandFailed),
		mk("z-first", 0, gbv1.CommandSent),
		mk("b-same-second", time.Second, ""),
	}
	for _, tc := range []struct{ self, want string }{
		{"z-first", ""},
		{"b-same-second", "z-first"},
		{"c-same-second", "z-first"},
		{"d-young", "z-first"},
	} {
		self := queue[slicesIndex(queue, tc.self)]
		if got := blockerOf(self, queue); got != tc.want {
			t.Errorf("blockerOf(%s) = %q, want %q", tc.self, got, tc.want)
		}
	}
	// With the first one finished, the second second's commands go in name order.
	queue[slicesIndex(queue, "z-first")].Status.Phase = gbv1.CommandSucceeded
	for _, tc := range []struct{ self, want string }{{"b-same-second", ""}, {"c-same-second", "b-same-second"}, {"d-young", "b-same-second"}} {
		self := queue[slicesIndex(queue, tc.self)]
		if got := blockerOf(self, queue); got != tc.want {
			t.Errorf("after z-first: blockerOf(%s) = %q, want %q", tc.self, got, tc.want)
		}
	}
	next := oldestUnfinished(queue, 2)
	if len(next) != 2 || next[0].Name != "b-same-second" || next[1].Name != "c-same-second" {
		t.Errorf("oldestUnfinished = %v, want b-same-second, c-same-second", names(next))
	}
}

func slicesIndex(q []*gbv1.CameraCommand, name string) int {
	for i := range q {
		if q[i].Name == name {
			return i
		}
	}
	panic(name)
}

func names(cs []*gbv1.CameraCommand) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
