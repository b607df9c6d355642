package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestCameraKeepaliveHasNoAPIDefault: an unset keepalive contract stays unset, so that
// the operator can take the device's own (ConfigDownload) instead.
func TestCameraKeepaliveHasNoAPIDefault(t *testing.T) {
	ctx := context.Background()
	cam := camera(newNamespace(t), "ipc", "34020000001320000001")
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}
	got := &gbv1.Camera{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Keepalive.Interval != nil || got.Spec.Keepalive.TimeoutCount != 0 {
		t.Errorf("keepalive defaulted by the API: %+v", got.Spec.Keepalive)
	}
}

// TestSubscriptionDefaults: a present block subscribes with the defaults.
func TestSubscriptionDefaults(t *testing.T) {
	ctx := context.Background()
	cam := camera(newNamespace(t), "nvr", "34020000001180000001")
	cam.Spec.Subscriptions = gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}, Alarm: &gbv1.AlarmSubscriptionSpec{}, MobilePosition: &gbv1.MobilePositionSubscriptionSpec{}}
	cam.Spec.Guard = gbv1.GuardArmed
	if err := k8sClient.Create(ctx, cam); err != nil {
		t.Fatal(err)
	}
	got := &gbv1.Camera{}
	if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(cam), got); err != nil {
		t.Fatal(err)
	}
	s := got.Spec.Subscriptions
	if s.Catalog.Expires == nil || s.Catalog.Expires.Duration != time.Hour {
		t.Errorf("catalog expires %v, want 1h", s.Catalog.Expires)
	}
	if s.Alarm.Expires == nil || s.Alarm.MinPriority != 1 || s.Alarm.MaxPriority != 4 || s.Alarm.Method != 0 {
		t.Errorf("alarm %+v, want expires 1h, priorities 1-4, every method", s.Alarm)
	}
	if s.MobilePosition.Interval == nil || s.MobilePosition.Interval.Duration != 5*time.Second {
		t.Errorf("mobilePosition interval %v, want 5s", s.MobilePosition.Interval)
	}
}

func TestSubscriptionValidation(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for i, tc := range []struct {
		name    string
		mutate  func(*gbv1.Camera)
		wantErr string
	}{
		{"expires too short", func(c *gbv1.Camera) {
			c.Spec.Subscriptions.Catalog = &gbv1.SubscriptionSpec{Expires: &metav1.Duration{Duration: time.Second}}
		}, "expires must be between 1m and 24h"},
		{"priority 5", func(c *gbv1.Camera) { c.Spec.Subscriptions.Alarm = &gbv1.AlarmSubscriptionSpec{MaxPriority: 5} }, "maxPriority"},
		{"guard", func(c *gbv1.Camera) { c.Spec.Guard = "On" }, "spec.guard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam := camera(ns, fmt.Sprintf("sub-%d", i), fmt.Sprintf("3402000000132000010%d", i))
			tc.mutate(cam)
			if err := k8sClient.Create(ctx, cam); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want an error saying %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func timeRange(start time.Time, d time.Duration) gbv1.TimeRange {
	return gbv1.TimeRange{Start: metav1.NewTime(start), End: metav1.NewTime(start.Add(d))}
}

func recordingQuery(ns, name string) *gbv1.RecordingQuery {
	return &gbv1.RecordingQuery{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.RecordingQuerySpec{CameraRef: gbv1.LocalObjectReference{Name: "nvr"},
			TimeRange: timeRange(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), time.Hour)},
	}
}

// TestRecordingQueryAPI: defaults, the time range's order, and a spec that cannot change.
func TestRecordingQueryAPI(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	q := recordingQuery(ns, "morning")
	if err := k8sClient.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	if q.Spec.Type != gbv1.RecordingAll || q.Spec.TTLSecondsAfterFinished == nil || *q.Spec.TTLSecondsAfterFinished != 3600 {
		t.Errorf("defaults: type %q ttl %v, want all and 3600", q.Spec.Type, q.Spec.TTLSecondsAfterFinished)
	}
	q.Spec.Type = gbv1.RecordingAlarm
	if err := k8sClient.Update(ctx, q); err == nil || !strings.Contains(err.Error(), "cannot be changed") {
		t.Errorf("changing the spec: %v, want refused", err)
	}
	backwards := recordingQuery(ns, "backwards")
	backwards.Spec.TimeRange = timeRange(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), -time.Hour)
	if err := k8sClient.Create(ctx, backwards); err == nil || !strings.Contains(err.Error(), "start must be before end") {
		t.Errorf("end before start: %v, want refused", err)
	}
	bad := recordingQuery(ns, "bad-type")
	bad.Spec.Type = "motion"
	if err := k8sClient.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "spec.type") {
		t.Errorf("type motion: %v, want refused", err)
	}
}

func command(ns, name string, mutate func(*gbv1.CameraCommandSpec)) *gbv1.CameraCommand {
	c := &gbv1.CameraCommand{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.CameraCommandSpec{CameraRef: gbv1.LocalObjectReference{Name: "ptz"}}}
	mutate(&c.Spec)
	return c
}

// TestCameraCommandAPI: exactly one command, moves and stops told apart, bounds, and a
// spec that cannot change.
func TestCameraCommandAPI(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	for i, tc := range []struct {
		name    string
		mutate  func(*gbv1.CameraCommandSpec)
		wantErr string
	}{
		{"pan right", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{Pan: 64} }, ""},
		{"stop", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{Stop: true} }, ""},
		{"reboot", func(s *gbv1.CameraCommandSpec) { s.Reboot = &gbv1.RebootCommand{} }, ""},
		{"preset", func(s *gbv1.CameraCommandSpec) { s.Preset = &gbv1.PresetCommand{Action: "Goto", Index: 3} }, ""},
		{"none", func(*gbv1.CameraCommandSpec) {}, "exactly one command"},
		{"two", func(s *gbv1.CameraCommandSpec) { s.Reboot, s.Keyframe = &gbv1.RebootCommand{}, &gbv1.KeyframeCommand{} }, "exactly one command"},
		{"a move that does not move", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{} }, "a move needs"},
		{"a stop that moves", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{Stop: true, Tilt: 3} }, "a move needs"},
		{"zoom too fast", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{Zoom: 16} }, "spec.ptz.zoom"},
		{"move too long", func(s *gbv1.CameraCommandSpec) {
			s.PTZ = &gbv1.PTZCommand{Pan: 1, Duration: &metav1.Duration{Duration: 2 * time.Minute}}
		}, "duration must be"},
		{"preset 0", func(s *gbv1.CameraCommandSpec) { s.Preset = &gbv1.PresetCommand{Action: "Set", Index: 0} }, "spec.preset.index"},
		{"home position without its preset", func(s *gbv1.CameraCommandSpec) { s.HomePosition = &gbv1.HomePositionCommand{Enabled: true} }, "needs its presetIndex"},
		{"home position off", func(s *gbv1.CameraCommandSpec) { s.HomePosition = &gbv1.HomePositionCommand{} }, ""},
		{"alarm type a word", func(s *gbv1.CameraCommandSpec) { s.ResetAlarm = &gbv1.ResetAlarmCommand{Method: 5, Type: "motion"} }, "spec.resetAlarm.type"},
		{"alarm type a number", func(s *gbv1.CameraCommandSpec) { s.ResetAlarm = &gbv1.ResetAlarmCommand{Method: 5, Type: "2"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := command(ns, fmt.Sprintf("cmd-%d", i), tc.mutate)
			err := k8sClient.Create(ctx, c)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want an error saying %q, got %v", tc.wantErr, err)
			}
		})
	}
	move := command(ns, "move", func(s *gbv1.CameraCommandSpec) { s.PTZ = &gbv1.PTZCommand{Tilt: -10} })
	if err := k8sClient.Create(ctx, move); err != nil {
		t.Fatal(err)
	}
	if d := move.Spec.PTZ.Duration; d == nil || d.Duration != time.Second || move.Spec.TTLSecondsAfterFinished == nil || *move.Spec.TTLSecondsAfterFinished != 600 {
		t.Errorf("defaults: duration %v ttl %v, want 1s and 600", d, move.Spec.TTLSecondsAfterFinished)
	}
	move.Spec.PTZ.Tilt = 10
	if err := k8sClient.Update(ctx, move); err == nil || !strings.Contains(err.Error(), "cannot be changed") {
		t.Errorf("changing the spec: %v, want refused", err)
	}
}

// TestStreamModes: Live has no time range, Playback and Download need one, and neither
// mode nor range changes; playback controls are bounded.
func TestStreamModes(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	span := timeRange(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), 10*time.Minute)
	for i, tc := range []struct {
		name    string
		mutate  func(*gbv1.Stream)
		wantErr string
	}{
		{"live", func(*gbv1.Stream) {}, ""},
		{"playback", func(s *gbv1.Stream) { s.Spec.Mode, s.Spec.TimeRange = gbv1.StreamPlayback, &span }, ""},
		{"download", func(s *gbv1.Stream) {
			s.Spec.Mode, s.Spec.TimeRange, s.Spec.Playback = gbv1.StreamDownload, &span, &gbv1.PlaybackSpec{DownloadSpeed: 8}
		}, ""},
		{"playback without a range", func(s *gbv1.Stream) { s.Spec.Mode = gbv1.StreamPlayback }, "timeRange is required"},
		{"live with a range", func(s *gbv1.Stream) { s.Spec.TimeRange = &span }, "timeRange is required"},
		{"scale 3", func(s *gbv1.Stream) {
			s.Spec.Mode, s.Spec.TimeRange, s.Spec.Playback = gbv1.StreamPlayback, &span, &gbv1.PlaybackSpec{Scale: "3"}
		}, "spec.playback.scale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := stream(ns, fmt.Sprintf("mode-%d", i))
			tc.mutate(st)
			err := k8sClient.Create(ctx, st)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want an error saying %q, got %v", tc.wantErr, err)
			}
		})
	}
	pb := stream(ns, "pb")
	pb.Spec.Mode, pb.Spec.TimeRange = gbv1.StreamPlayback, &span
	if err := k8sClient.Create(ctx, pb); err != nil {
		t.Fatal(err)
	}
	if pb.Spec.Playback != nil {
		t.Fatalf("playback defaulted without a block: %+v", pb.Spec.Playback)
	}
	pb.Spec.Playback = &gbv1.PlaybackSpec{Scale: "2", Paused: true, Position: &metav1.Duration{Duration: time.Minute}}
	if err := k8sClient.Update(ctx, pb); err != nil {
		t.Fatalf("controls are changed in place: %v", err)
	}
	later := timeRange(span.Start.Add(time.Hour), time.Minute)
	pb.Spec.TimeRange = &later
	if err := k8sClient.Update(ctx, pb); err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Errorf("changing the range: %v, want refused", err)
	}
	pb.Spec.TimeRange, pb.Spec.Mode = &span, gbv1.StreamDownload
	if err := k8sClient.Update(ctx, pb); err == nil || !strings.Contains(err.Error(), "mode cannot change") {
		t.Errorf("changing the mode: %v, want refused", err)
	}
}
