package controllers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// Playback and Download Streams against camsim devices with a recording timeline: the
// device plays the span asked with timestamps from its start (PTS 0), steered by the
// Stream's spec through INFOs, and says when it reached the end. ffprobe reads what the
// receiver got: H.264 in PS, timestamps that follow the span and the speed.

// recordedHours is a recording timeline of one-hour files over the last day.
var recordedHours = sim.RecordConfig{Span: 24 * time.Hour, Segment: time.Hour}

// recordingOf makes a Stream a Playback or Download of length from start.
func recordingOf(mode gbv1.StreamMode, start time.Time, length time.Duration, playback *gbv1.PlaybackSpec) func(*gbv1.Stream) {
	return func(st *gbv1.Stream) {
		st.Spec.Mode = mode
		st.Spec.TimeRange = &gbv1.TimeRange{Start: metav1.NewTime(start), End: metav1.NewTime(start.Add(length))}
		st.Spec.Playback = playback
	}
}

// waitPlayback waits until the Stream plays and its status.playback satisfies check.
func waitPlayback(t *testing.T, c client.Client, ns, name string, what string, check func(*gbv1.PlaybackStatus) bool) *gbv1.Stream {
	t.Helper()
	var st gbv1.Stream
	testutil.Eventually(t, 20*time.Second, name+": "+what, func() error {
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &st); err != nil {
			return err
		}
		if st.Status.State != gbv1.StreamPlaying || st.Status.Playback == nil || !check(st.Status.Playback) {
			return fmt.Errorf("state %s, playback %+v", st.Status.State, st.Status.Playback)
		}
		return nil
	})
	return &st
}

// lastPTS is the last video timestamp of what r received so far.
func lastPTS(t *testing.T, r *rtprecv.Receiver) float64 {
	t.Helper()
	pts := rtprecv.RequireVideoPTS(t, r.Stream())
	return pts[len(pts)-1]
}

// mediaRate is how many seconds of the recording arrived per second of the wall clock
// over d, from now on.
func mediaRate(t *testing.T, r *rtprecv.Receiver, d time.Duration) float64 {
	t.Helper()
	from, at := lastPTS(t, r), time.Now()
	time.Sleep(d)
	to, end := lastPTS(t, r), time.Now()
	return (to - from) / end.Sub(at).Seconds()
}

// TestPlaybackSteeredToItsEnd: a Playback of 40 s of an IPC's recording plays with a
// history SSRC and timestamps from the span's start at normal speed; spec.playback's
// scale 2 doubles the media sent per second, paused stops it, resuming goes on where it
// paused, position 30s seeks there, each acknowledged in status.playback with the
// dialog's CSeq rising; at the end the device's MediaStatus makes the Stream Completed
// with a BYE, and it is not played again.
func TestPlaybackSteeredToItsEnd(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, streams: &fastStreams})
	const id = "34020000001320000601"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: recordedHours})
	recv := listen(t, 0, false)
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	createStream(t, c, ns, "replay", "ipc", recv.Port(), recordingOf(gbv1.StreamPlayback, start, 40*time.Second, nil))
	st := waitPlayback(t, c, ns, "replay", "playing at scale 1", func(p *gbv1.PlaybackStatus) bool { return p.Scale == "1" && !p.Paused })
	if st.Status.SSRC[0] != '1' || st.Status.Dialog.CSeq != 1 {
		t.Errorf("ssrc %q, dialog CSeq %d: want a history SSRC (1 first) and the INVITE's CSeq", st.Status.SSRC, st.Status.Dialog.CSeq)
	}
	if err := recv.WaitPackets(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	firstAt := time.Now()
	time.Sleep(2 * time.Second)
	pts := rtprecv.RequireVideoPTS(t, recv.Stream())
	if pts[0] > 0.05 {
		t.Errorf("first PTS %.3fs: want the span's start, 0", pts[0])
	}
	if rate := pts[len(pts)-1] / time.Since(firstAt).Seconds(); rate < 0.6 || rate > 1.4 {
		t.Errorf("at scale 1 the recording arrives at %.2f times real time", rate)
	}

	patchStream(t, c, ns, "replay", func(st *gbv1.Stream) { st.Spec.Playback = &gbv1.PlaybackSpec{Scale: "2"} })
	waitPlayback(t, c, ns, "replay", "scale 2 acknowledged", func(p *gbv1.PlaybackStatus) bool { return p.Scale == "2" })
	if rate := mediaRate(t, recv, 2*time.Second); rate < 1.5 || rate > 2.6 {
		t.Errorf("at scale 2 the recording arrives at %.2f times real time, want 2", rate)
	}

	patchStream(t, c, ns, "replay", func(st *gbv1.Stream) { st.Spec.Playback.Paused = true })
	waitPlayback(t, c, ns, "replay", "paused", func(p *gbv1.PlaybackStatus) bool { return p.Paused && p.Scale == "2" })
	time.Sleep(300 * time.Millisecond) // packets in flight
	pausedAt := recv.Packets()
	time.Sleep(700 * time.Millisecond)
	if n := recv.Packets(); n != pausedAt {
		t.Errorf("%d packets while paused", n-pausedAt)
	}
	framesBefore := len(rtprecv.RequireVideoPTS(t, recv.Stream()))
	pausedPTS := lastPTS(t, recv)

	patchStream(t, c, ns, "replay", func(st *gbv1.Stream) { st.Spec.Playback.Paused = false })
	waitPlayback(t, c, ns, "replay", "resumed", func(p *gbv1.PlaybackStatus) bool { return !p.Paused })
	if err := recv.WaitPackets(ctxT(t), pausedAt+10); err != nil {
		t.Fatal(err)
	}
	resumed := rtprecv.RequireVideoPTS(t, recv.Stream())
	if next := resumed[framesBefore]; math.Abs(next-pausedPTS-0.04) > 0.05 {
		t.Errorf("resumed at %.3fs, paused at %.3fs: the position was not kept", next, pausedPTS)
	}

	patchStream(t, c, ns, "replay", func(st *gbv1.Stream) { st.Spec.Playback.Position = &metav1.Duration{Duration: 30 * time.Second} })
	st = waitPlayback(t, c, ns, "replay", "sought to 30s", func(p *gbv1.PlaybackStatus) bool {
		return p.Position != nil && p.Position.Duration == 30*time.Second
	})
	// INVITE 1, then scale, pause, resume and seek: each INFO one above.
	if st.Status.Dialog.CSeq != 5 {
		t.Errorf("dialog CSeq %d after four INFOs, want 5", st.Status.Dialog.CSeq)
	}
	time.Sleep(time.Second)
	after := rtprecv.RequireVideoPTS(t, recv.Stream())
	j := slices.IndexFunc(after, func(v float64) bool { return v >= 29 })
	if j < 1 || after[j] > 30.05 || after[j-1] > 25 {
		t.Errorf("after the seek to 30s the stream goes on at %v", after[max(j-1, 0):min(max(j, 0)+2, len(after))])
	}

	// 10 s left at scale 2: the device reaches the end and says so.
	done := waitStream(t, c, ns, "replay", gbv1.StreamCompleted, gbv1.ReasonCompleted)
	if done.Status.CompletedAt == nil || done.Status.Dialog != nil {
		t.Errorf("completed with completedAt %v, dialog %+v", done.Status.CompletedAt, done.Status.Dialog)
	}
	if last := lastPTS(t, recv); math.Abs(last-39.96) > 0.001 {
		t.Errorf("the last frame at %.3fs, want the span's last, 39.96s", last)
	}
	rtprecv.RequireH264(t, recv.Stream())
	waitKindEvents(t, c, ns, "Stream", "replay", gbv1.ReasonPlaying, "PlaybackControlled", gbv1.ReasonCompleted)
	testutil.Eventually(t, 5*time.Second, "the device's call ended by the BYE", func() error {
		if n := dev.Streams(); n != 0 {
			return fmt.Errorf("device in %d calls", n)
		}
		return nil
	})
	// Not played again.
	time.Sleep(1500 * time.Millisecond)
	if n, again := dev.Streams(), waitStream(t, c, ns, "replay", gbv1.StreamCompleted, gbv1.ReasonCompleted); n != 0 || again.Status.Dialog != nil {
		t.Errorf("a completed playback invited again: device in %d calls, dialog %+v", n, again.Status.Dialog)
	}
}

// TestDownloadCompletes: a Download of 8 s at speed 4 brings every frame of the span,
// stamped from its start, and completes with progress 100; an operator restart after
// that does not download it again.
func TestDownloadCompletes(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, streams: &fastStreams})
	const id = "34020000001320000602"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: recordedHours})
	recv := listen(t, 0, true)
	start := time.Now().Add(-5 * time.Hour).Truncate(time.Second)
	createStream(t, c, ns, "fetch", "ipc", recv.Port(), recordingOf(gbv1.StreamDownload, start, 8*time.Second, nil), func(st *gbv1.Stream) {
		st.Spec.Destination.Transport = gbv1.TransportTCP
	})
	done := waitStream(t, c, ns, "fetch", gbv1.StreamCompleted, gbv1.ReasonCompleted)
	if p := done.Status.Playback; p == nil || p.Progress != 100 || done.Status.SSRC[0] != '1' {
		t.Errorf("completed download: playback %+v, ssrc %q", p, done.Status.SSRC)
	}
	pts := rtprecv.RequireVideoPTS(t, recv.Stream())
	if len(pts) != 200 || pts[0] != 0 || math.Abs(pts[len(pts)-1]-7.96) > 0.001 {
		t.Errorf("%d frames from %.3fs to %.3fs, want the span's 200 from 0 to 7.96s", len(pts), pts[0], pts[len(pts)-1])
	}
	rtprecv.RequireH264(t, recv.Stream())

	addr := op.addr()
	op.stop(t)
	startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, listen: addr, streams: &fastStreams})
	time.Sleep(2 * time.Second) // the new leader reconciles every Stream at start
	if n, again := dev.Streams(), waitStream(t, c, ns, "fetch", gbv1.StreamCompleted, gbv1.ReasonCompleted); n != 0 || again.Status.Dialog != nil {
		t.Errorf("a completed download fetched again after a restart: device in %d calls, dialog %+v", n, again.Status.Dialog)
	}
}

// TestPlaybackComesBack: the rules of a live Stream hold for a playback that has not
// ended: when the device hangs up, the Stream is invited again in a new dialog and its
// controls (here scale 4 from the start) are applied again there.
func TestPlaybackComesBack(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, streams: &fastStreams})
	const id = "34020000001320000603"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{Records: recordedHours})
	recv := listen(t, 0, false)
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	createStream(t, c, ns, "replay", "ipc", recv.Port(), recordingOf(gbv1.StreamPlayback, start, 10*time.Minute, &gbv1.PlaybackSpec{Scale: "4"}))
	first := waitPlayback(t, c, ns, "replay", "scale 4 from the start", func(p *gbv1.PlaybackStatus) bool { return p.Scale == "4" })
	if first.Status.Dialog.CSeq != 2 {
		t.Errorf("dialog CSeq %d, want the INVITE's and one INFO's: 2", first.Status.Dialog.CSeq)
	}

	if err := dev.HangUp(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var again *gbv1.Stream
	testutil.Eventually(t, 20*time.Second, "a new dialog at scale 4", func() error {
		again = waitPlayback(t, c, ns, "replay", "scale 4", func(p *gbv1.PlaybackStatus) bool { return p.Scale == "4" })
		if again.Status.Dialog.CallID == first.Status.Dialog.CallID {
			return errors.New("still the first dialog")
		}
		return nil
	})
	if again.Status.Dialog.CSeq != 2 || again.Status.CompletedAt != nil {
		t.Errorf("the new dialog: CSeq %d, completedAt %v; want scale applied again (CSeq 2), not completed", again.Status.Dialog.CSeq, again.Status.CompletedAt)
	}
	waitKindEvents(t, c, ns, "Stream", "replay", gbv1.ReasonEndedByDevice)
	n := recv.Packets()
	if err := recv.WaitPackets(ctxT(t), n+10); err != nil {
		t.Fatal(err)
	}
}
