package stream

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
	"github.com/gb28181/camera-operator/sipd/sdp"
)

func TestControlSteps(t *testing.T) {
	at := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	playing := gbv1.PlaybackStatus{Scale: "1"}
	paused := gbv1.PlaybackStatus{Scale: "1", Paused: true}
	tests := []struct {
		name string
		want *gbv1.PlaybackSpec
		have gbv1.PlaybackStatus
		// reqs are the requests in order; last what the device holds after them.
		reqs []mansrtsp.Request
		last gbv1.PlaybackStatus
	}{
		{"nothing asked", nil, playing, nil, playing},
		{"the scale the device plays at", &gbv1.PlaybackSpec{Scale: "1"}, playing, nil, playing},
		{"speed", &gbv1.PlaybackSpec{Scale: "2"}, playing,
			[]mansrtsp.Request{mansrtsp.PlayScale(0, 2)}, gbv1.PlaybackStatus{Scale: "2"}},
		{"quarter speed", &gbv1.PlaybackSpec{Scale: "0.25"}, playing,
			[]mansrtsp.Request{mansrtsp.PlayScale(0, 0.25)}, gbv1.PlaybackStatus{Scale: "0.25"}},
		{"back to normal speed (no scale in spec)", &gbv1.PlaybackSpec{}, gbv1.PlaybackStatus{Scale: "4"},
			[]mansrtsp.Request{mansrtsp.PlayScale(0, 1)}, playing},
		{"pause", &gbv1.PlaybackSpec{Paused: true}, playing,
			[]mansrtsp.Request{mansrtsp.PauseNow(0)}, paused},
		{"resume", &gbv1.PlaybackSpec{}, paused,
			[]mansrtsp.Request{mansrtsp.PlayResume(0)}, playing},
		{"seek", &gbv1.PlaybackSpec{Position: at(90 * time.Second)}, playing,
			[]mansrtsp.Request{mansrtsp.PlaySeek(0, 90*time.Second)}, gbv1.PlaybackStatus{Scale: "1", Position: at(90 * time.Second)}},
		{"the position sought already", &gbv1.PlaybackSpec{Position: at(90 * time.Second)}, gbv1.PlaybackStatus{Scale: "1", Position: at(90 * time.Second)}, nil,
			gbv1.PlaybackStatus{Scale: "1", Position: at(90 * time.Second)}},
		{"seek while paused stays paused", &gbv1.PlaybackSpec{Paused: true, Position: at(time.Minute)}, paused,
			[]mansrtsp.Request{mansrtsp.PlaySeek(0, time.Minute), mansrtsp.PauseNow(0)}, gbv1.PlaybackStatus{Scale: "1", Paused: true, Position: at(time.Minute)}},
		{"speed while paused waits for the resume", &gbv1.PlaybackSpec{Paused: true, Scale: "2"}, paused, nil, paused},
		{"pause and speed: the speed waits", &gbv1.PlaybackSpec{Paused: true, Scale: "4"}, playing,
			[]mansrtsp.Request{mansrtsp.PauseNow(0)}, paused},
		{"resume at another speed", &gbv1.PlaybackSpec{Scale: "4"}, paused,
			[]mansrtsp.Request{mansrtsp.PlayResume(0), mansrtsp.PlayScale(0, 4)}, gbv1.PlaybackStatus{Scale: "4"}},
		{"a refusal is not what the device holds", &gbv1.PlaybackSpec{Scale: "2"}, gbv1.PlaybackStatus{Scale: "1", LastError: "scale 2: 488"},
			[]mansrtsp.Request{mansrtsp.PlayScale(0, 2)}, gbv1.PlaybackStatus{Scale: "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := controlSteps(tt.want, tt.have)
			var reqs []mansrtsp.Request
			last := tt.have
			last.LastError = ""
			for _, s := range steps {
				reqs = append(reqs, s.req)
				last = s.after
			}
			if !reflect.DeepEqual(reqs, tt.reqs) {
				t.Errorf("requests %+v, want %+v", reqs, tt.reqs)
			}
			if !reflect.DeepEqual(last, tt.last) {
				t.Errorf("device holds %+v, want %+v", last, tt.last)
			}
		})
	}
}

func TestRecordingOffer(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tr := &gbv1.TimeRange{Start: metav1.NewTime(start), End: metav1.NewTime(start.Add(30 * time.Minute))}
	base := sdp.Session{Addr: "10.0.0.5", Port: 30000, SSRC: "1200000001"}
	for _, tc := range []struct {
		name string
		spec gbv1.StreamSpec
		want sdp.Session
	}{
		{"live", gbv1.StreamSpec{}, base},
		{"playback", gbv1.StreamSpec{Mode: gbv1.StreamPlayback, TimeRange: tr, Playback: &gbv1.PlaybackSpec{DownloadSpeed: 8}},
			sdp.Session{Name: sdp.NamePlayback, Addr: "10.0.0.5", Port: 30000, SSRC: "1200000001", Start: start.Unix(), End: start.Unix() + 1800}},
		{"download at the default speed", gbv1.StreamSpec{Mode: gbv1.StreamDownload, TimeRange: tr},
			sdp.Session{Name: sdp.NameDownload, Addr: "10.0.0.5", Port: 30000, SSRC: "1200000001", Start: start.Unix(), End: start.Unix() + 1800, DownloadSpeed: 4}},
		{"download at 16", gbv1.StreamSpec{Mode: gbv1.StreamDownload, TimeRange: tr, Playback: &gbv1.PlaybackSpec{DownloadSpeed: 16}},
			sdp.Session{Name: sdp.NameDownload, Addr: "10.0.0.5", Port: 30000, SSRC: "1200000001", Start: start.Unix(), End: start.Unix() + 1800, DownloadSpeed: 16}},
	} {
		if got := recordingOffer(&gbv1.Stream{Spec: tc.spec}, base); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestDecideRecording: what a Playback or Download adds to a live Stream's decisions.
func TestDecideRecording(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{}.WithDefaults()
	regAt := now.Add(-time.Hour)
	binding := &sipd.Binding{DeviceID: "34020000001320000001", Owner: "uid-ipc", RegisteredAt: regAt}
	cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: "ipc", UID: "uid-ipc"}, Spec: gbv1.CameraSpec{DeviceID: binding.DeviceID}}
	cam.Status.State = gbv1.StateRegistered
	stream := func(mode gbv1.StreamMode, mut ...func(*gbv1.Stream)) *gbv1.Stream {
		st := &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: gbv1.StreamSpec{
			Mode: mode, CameraRef: gbv1.LocalObjectReference{Name: "ipc"},
			Destination: gbv1.Destination{Host: "10.0.0.5", Port: 30000, Transport: gbv1.TransportUDP},
			TimeRange:   &gbv1.TimeRange{Start: metav1.NewTime(now.Add(-2 * time.Hour)), End: metav1.NewTime(now.Add(-time.Hour))},
		}}
		st.Status.Dialog = &gbv1.StreamDialog{CallID: "c1"}
		st.Status.ChannelID, st.Status.Destination = binding.DeviceID, "10.0.0.5:30000/UDP"
		st.Status.RegisteredAt = &metav1.Time{Time: regAt}
		st.Status.MediaAddr, st.Status.MediaPort = "10.0.0.9", 15060
		st.Status.ObservedGeneration = 2
		st.Status.Playback = &gbv1.PlaybackStatus{Scale: "1"}
		for _, m := range mut {
			m(st)
		}
		return st
	}
	done := func(st *gbv1.Stream) {
		st.Status.Dialog, st.Status.CompletedAt = nil, &metav1.Time{Time: now.Add(-time.Minute)}
	}
	scale2 := func(st *gbv1.Stream) { st.Spec.Playback = &gbv1.PlaybackSpec{Scale: "2"} }
	refused := func(st *gbv1.Stream) { st.Status.Playback.LastError = "scale 2: 488" }
	playing := streamPlan{state: gbv1.StreamPlaying, reason: gbv1.ReasonPlaying, message: "the device sends media from 10.0.0.9:15060", requeue: opts.CheckInterval}
	steering := playing
	steering.steer = true
	tests := []struct {
		name string
		o    streamObservation
		want streamPlan
	}{
		{"the device says the end came", streamObservation{stream: stream(gbv1.StreamPlayback), camera: cam, binding: binding, dialogLive: true, dialogCompleted: true},
			streamPlan{bye: true, complete: true, state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}},
		{"the end came and the Camera went offline", streamObservation{stream: stream(gbv1.StreamDownload), camera: cam, dialogCompleted: true},
			streamPlan{bye: true, complete: true, state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}},
		{"completed is never invited again", streamObservation{stream: stream(gbv1.StreamPlayback, done), camera: cam, binding: binding},
			streamPlan{state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}},
		{"completed, its Camera gone", streamObservation{stream: stream(gbv1.StreamPlayback, done)},
			streamPlan{state: gbv1.StreamCompleted, reason: gbv1.ReasonCompleted, message: completedMessage}},
		{"a live Stream with a completedAt is still live", streamObservation{stream: stream(gbv1.StreamLive, done), camera: cam, binding: binding},
			streamPlan{invite: true}},
		{"playing as asked", streamObservation{stream: stream(gbv1.StreamPlayback), camera: cam, binding: binding, dialogLive: true}, playing},
		{"a speed to apply", streamObservation{stream: stream(gbv1.StreamPlayback, scale2), camera: cam, binding: binding, dialogLive: true}, steering},
		{"a speed refused at this generation", streamObservation{stream: stream(gbv1.StreamPlayback, scale2, refused), camera: cam, binding: binding, dialogLive: true}, playing},
		{"a speed refused, then the spec changed", streamObservation{stream: stream(gbv1.StreamPlayback, scale2, refused, func(st *gbv1.Stream) { st.Generation = 3 }), camera: cam, binding: binding, dialogLive: true}, steering},
		{"a download is not steered", streamObservation{stream: stream(gbv1.StreamDownload, scale2), camera: cam, binding: binding, dialogLive: true}, playing},
		{"the device hung up before the end: invited again", streamObservation{stream: stream(gbv1.StreamPlayback), camera: cam, binding: binding, endedByDevice: true},
			streamPlan{forget: true, failed: true, state: gbv1.StreamFailed, reason: gbv1.ReasonEndedByDevice, message: "the device ended the stream with a BYE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.now = now
			if got := decideStream(tt.o, opts); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	dl := &gbv1.Stream{Spec: gbv1.StreamSpec{Mode: gbv1.StreamDownload}}
	dl.Status.Failures = 2
	complete(dl, now)
	if dl.Status.CompletedAt == nil || !dl.Status.CompletedAt.Time.Equal(now) || dl.Status.Playback == nil || dl.Status.Playback.Progress != 100 || dl.Status.Failures != 0 {
		t.Errorf("download status %+v", dl.Status)
	}
	pb := &gbv1.Stream{Spec: gbv1.StreamSpec{Mode: gbv1.StreamPlayback}}
	pb.Status.Playback = &gbv1.PlaybackStatus{Scale: "2", Paused: false}
	complete(pb, now)
	if pb.Status.Playback.Progress != 0 || pb.Status.Playback.Scale != "2" {
		t.Errorf("playback status after the end %+v: what the device acknowledged stays", pb.Status.Playback)
	}
}
