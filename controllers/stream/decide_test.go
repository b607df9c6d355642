package stream

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

func TestDecideStream(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{}.WithDefaults()
	regAt := now.Add(-time.Hour)
	binding := &sipd.Binding{DeviceID: "34020000001180000001", Owner: "uid-nvr", RegisteredAt: regAt.Add(300 * time.Millisecond)}
	camera := func(mut ...func(*gbv1.Camera)) *gbv1.Camera {
		c := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "nvr", UID: "uid-nvr"}, Spec: gbv1.CameraSpec{DeviceID: binding.DeviceID}}
		c.Status.State = gbv1.StateRegistered
		c.Status.Channels = []gbv1.Channel{{ID: "34020000001310000001"}}
		for _, m := range mut {
			m(c)
		}
		return c
	}
	playing := func(mut ...func(*gbv1.Stream)) *gbv1.Stream {
		st := &gbv1.Stream{Spec: gbv1.StreamSpec{
			CameraRef:   gbv1.LocalObjectReference{Name: "nvr"},
			ChannelID:   "34020000001310000001",
			Destination: gbv1.Destination{Host: "10.0.0.5", Port: 30000, Transport: gbv1.TransportUDP},
		}}
		st.Status.Dialog = &gbv1.StreamDialog{CallID: "c1"}
		st.Status.ChannelID = "34020000001310000001"
		st.Status.Destination = "10.0.0.5:30000/UDP"
		st.Status.RegisteredAt = &metav1.Time{Time: regAt}
		st.Status.MediaAddr, st.Status.MediaPort = "10.0.0.9", 15060
		for _, m := range mut {
			m(st)
		}
		return st
	}
	idle := func(st *gbv1.Stream) { st.Status.Dialog = nil }
	tests := []struct {
		name string
		o    streamObservation
		want streamPlan
	}{
		{"playing", streamObservation{stream: playing(), camera: camera(), binding: binding, dialogLive: true},
			streamPlan{state: gbv1.StreamPlaying, reason: gbv1.ReasonPlaying, message: "the device sends media from 10.0.0.9:15060", requeue: opts.CheckInterval}},
		{"suspended", streamObservation{stream: playing(func(st *gbv1.Stream) { st.Spec.Suspend = true }), camera: camera(), binding: binding, dialogLive: true},
			streamPlan{bye: true, state: gbv1.StreamStopped, reason: gbv1.ReasonStreamSuspended, message: "spec.suspend is true"}},
		{"camera gone", streamObservation{stream: playing(idle), binding: binding},
			streamPlan{state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotFound, message: `Camera "nvr" does not exist`}},
		{"camera offline", streamObservation{stream: playing(), camera: camera(func(c *gbv1.Camera) { c.Status.State = gbv1.StateOffline }), binding: binding, dialogLive: true},
			streamPlan{bye: true, state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotRegistered, message: `Camera "nvr" is not registered and online`}},
		{"not registered", streamObservation{stream: playing(idle), camera: camera()},
			streamPlan{state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotRegistered, message: `Camera "nvr" is not registered and online`}},
		{"registered, status not written yet", streamObservation{stream: playing(idle), camera: camera(func(c *gbv1.Camera) { c.Status.State = gbv1.StatePending }), binding: binding},
			streamPlan{state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraNotRegistered, message: `Camera "nvr" is not registered and online`}},
		{"camera in conflict", streamObservation{stream: playing(idle), camera: camera(func(c *gbv1.Camera) { c.Status.State = gbv1.StateConflict }), binding: binding},
			streamPlan{state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraConflict, message: `Camera "nvr" does not own device 34020000001180000001: an older Camera claims its ID`}},
		{"registration owned by another camera", streamObservation{stream: playing(), camera: camera(), binding: &sipd.Binding{DeviceID: binding.DeviceID, Owner: "uid-other", RegisteredAt: binding.RegisteredAt}, dialogLive: true},
			streamPlan{bye: true, state: gbv1.StreamWaitingForCamera, reason: gbv1.ReasonCameraConflict, message: `Camera "nvr" does not own device 34020000001180000001: an older Camera claims its ID`}},
		{"unknown channel", streamObservation{stream: playing(idle, func(st *gbv1.Stream) { st.Spec.ChannelID = "34020000001310000009" }), camera: camera(), binding: binding},
			streamPlan{state: gbv1.StreamFailed, reason: gbv1.ReasonChannelNotFound, message: `channel "34020000001310000009" is not in Camera "nvr"'s catalog`}},
		{"catalog not known yet", streamObservation{stream: playing(idle, func(st *gbv1.Stream) { st.Spec.ChannelID = "34020000001310000009" }), camera: camera(func(c *gbv1.Camera) { c.Status.Channels = nil }), binding: binding},
			streamPlan{invite: true}},
		{"ended by the device", streamObservation{stream: playing(), camera: camera(), binding: binding, endedByDevice: true},
			streamPlan{forget: true, failed: true, state: gbv1.StreamFailed, reason: gbv1.ReasonEndedByDevice, message: "the device ended the stream with a BYE"}},
		{"dialog of another leader", streamObservation{stream: playing(), camera: camera(), binding: binding},
			streamPlan{bye: true, invite: true}},
		{"new registration", streamObservation{stream: playing(), camera: camera(), binding: &sipd.Binding{Owner: "uid-nvr", RegisteredAt: regAt.Add(time.Minute)}, dialogLive: true},
			streamPlan{bye: true, invite: true}},
		{"destination changed", streamObservation{stream: playing(func(st *gbv1.Stream) { st.Spec.Destination.Port = 30002 }), camera: camera(), binding: binding, dialogLive: true},
			streamPlan{bye: true, invite: true}},
		{"backing off", streamObservation{stream: playing(idle, func(st *gbv1.Stream) {
			st.Status.State = gbv1.StreamFailed
			st.Status.NextAttemptAt = &metav1.Time{Time: now.Add(3 * time.Second)}
		}), camera: camera(), binding: binding, now: now},
			streamPlan{state: gbv1.StreamFailed, reason: gbv1.ReasonPending, requeue: 3 * time.Second}},
		{"backoff over", streamObservation{stream: playing(idle, func(st *gbv1.Stream) { st.Status.NextAttemptAt = &metav1.Time{Time: now.Add(-time.Second)} }), camera: camera(), binding: binding, now: now},
			streamPlan{invite: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decideStream(tc.o, opts); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	opts := Options{RetryMin: time.Second, RetryMax: 10 * time.Second}.WithDefaults()
	for n, want := range map[int32]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 40: 10 * time.Second} {
		if got := backoff(n, opts); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestSSRCBook(t *testing.T) {
	const realm = "3402000000"
	b := newSSRCBook()
	a, err := b.claim("a", "", realm, false)
	if err != nil || len(a) != 10 || a[:6] != "020000" {
		t.Fatalf("generated %q, %v", a, err)
	}
	if again, _ := b.claim("a", "", realm, false); again != a {
		t.Errorf("a re-claims %q, had %q", again, a)
	}
	if _, err := b.claim("b", a, realm, false); err == nil {
		t.Error("b took a's ssrc")
	}
	// A generated SSRC never collides: fill the book from b's starting point on.
	for i := range 100 {
		other, err := b.claim(types.UID(rune('c'+i)), "", realm, false)
		if err != nil || other == a {
			t.Fatalf("claim %d: %q, %v", i, other, err)
		}
	}
	// Held after a restart: an SSRC of another realm, which no claim here generates.
	if !b.hold("z", "0999990001") || b.hold("y", "0999990001") {
		t.Error("hold does not keep an ssrc to its holder")
	}
	b.release("a")
	if got, err := b.claim("b", a, realm, false); err != nil || got != a {
		t.Errorf("released ssrc not free: %q, %v", got, err)
	}
}
