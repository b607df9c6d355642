package stream

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
	"github.com/gb28181/camera-operator/sipd/sdp"
)

// A Playback or Download Stream plays a recording of spec.timeRange: its INVITE offers
// s=Playback or s=Download, t=<start> <end> and, for a Download, a=downloadspeed, with
// an SSRC whose first digit is 1. Everything else is a live Stream's lifecycle, with two
// additions:
//
//   - A Playback is steered from spec.playback within its dialog, one INFO (MANSRTSP)
//     per change: a seek (PLAY Range: npt=<s>-), a resume (PLAY Range: npt=now-), a
//     speed (PLAY Scale), a pause (PAUSE). status.playback holds what the device
//     acknowledged; a refusal is kept in its lastError and not retried until the spec
//     changes (or the Stream is invited anew, when everything is applied again).
//   - When the device says the recording reached its end (MediaStatus 121), the Stream
//     ends its dialog with a BYE and is Completed for good: status.completedAt, and a
//     Download's progress 100. It is never invited again.

// defaultDownloadSpeed is a Download's a=downloadspeed when the spec sets none (an
// object made before the API default).
const defaultDownloadSpeed = 4

// maxLastError bounds status.playback.lastError, as the schema does.
const maxLastError = 256

// modeOf is st's mode: Live when unset (objects that predate the field).
func modeOf(st *gbv1.Stream) gbv1.StreamMode {
	if st.Spec.Mode == "" {
		return gbv1.StreamLive
	}
	return st.Spec.Mode
}

// isRecording: st plays a recording back or downloads it.
func isRecording(st *gbv1.Stream) bool {
	m := modeOf(st)
	return m == gbv1.StreamPlayback || m == gbv1.StreamDownload
}

// completed: a recording st played reached its end; it is not played again.
func completed(st *gbv1.Stream) bool {
	return isRecording(st) && st.Status.CompletedAt != nil
}

// recordingOffer adds to offer what a Playback or Download asks: the session, the span
// of spec.timeRange in Unix seconds, a Download's speed. A Live offer is returned as is.
func recordingOffer(st *gbv1.Stream, offer sdp.Session) sdp.Session {
	switch modeOf(st) {
	case gbv1.StreamPlayback:
		offer.Name = sdp.NamePlayback
	case gbv1.StreamDownload:
		offer.Name = sdp.NameDownload
		offer.DownloadSpeed = defaultDownloadSpeed
		if p := st.Spec.Playback; p != nil && p.DownloadSpeed > 0 {
			offer.DownloadSpeed = int(p.DownloadSpeed)
		}
	default:
		return offer
	}
	if tr := st.Spec.TimeRange; tr != nil {
		offer.Start, offer.End = tr.Start.Unix(), tr.End.Unix()
	}
	return offer
}

// invitedPlayback is the status.playback of a dialog just made: a Playback plays at
// normal speed from the span's start; a Download reports nothing until its end.
func invitedPlayback(st *gbv1.Stream) *gbv1.PlaybackStatus {
	if modeOf(st) != gbv1.StreamPlayback {
		return nil
	}
	return &gbv1.PlaybackStatus{Scale: "1"}
}

// acknowledged is what the device holds of st's playback controls.
func acknowledged(st *gbv1.Stream) gbv1.PlaybackStatus {
	if st.Status.Playback != nil {
		return *st.Status.Playback.DeepCopy()
	}
	return gbv1.PlaybackStatus{Scale: "1"}
}

// complete records the end of st's recording.
func complete(st *gbv1.Stream, now time.Time) {
	at := metav1.NewTime(now)
	st.Status.CompletedAt = &at
	st.Status.NextAttemptAt, st.Status.Failures = nil, 0
	if modeOf(st) == gbv1.StreamDownload {
		p := acknowledged(st)
		p.Scale, p.Progress = "", 100
		st.Status.Playback = &p
	}
}

// controlStep is one request of a playback's steering, and what the device holds once
// it acknowledged it.
type controlStep struct {
	req   mansrtsp.Request
	after gbv1.PlaybackStatus
}

// controlSteps lists the requests that bring what the device acknowledged (have) to
// what want asks, in order: a seek (which also resumes), else a resume; a speed; a
// pause. A speed asked while the playback is to stay paused waits for the resume: PLAY
// with a Scale would start it. The requests carry no CSeq: the registrar numbers them.
func controlSteps(want *gbv1.PlaybackSpec, have gbv1.PlaybackStatus) []controlStep {
	if want == nil {
		want = &gbv1.PlaybackSpec{}
	}
	have.LastError = ""
	var steps []controlStep
	add := func(req mansrtsp.Request, apply func(*gbv1.PlaybackStatus)) {
		apply(&have)
		steps = append(steps, controlStep{req: req, after: *have.DeepCopy()})
	}
	if p := want.Position; p != nil && (have.Position == nil || have.Position.Duration != p.Duration) {
		add(mansrtsp.PlaySeek(0, p.Duration), func(s *gbv1.PlaybackStatus) {
			s.Position, s.Paused = &metav1.Duration{Duration: p.Duration}, false
		})
	} else if have.Paused && !want.Paused {
		add(mansrtsp.PlayResume(0), func(s *gbv1.PlaybackStatus) { s.Paused = false })
	}
	scale, scaleOK := parseScale(want.Scale)
	if current, _ := parseScale(have.Scale); scaleOK && scale != current && !want.Paused {
		add(mansrtsp.PlayScale(0, scale), func(s *gbv1.PlaybackStatus) { s.Scale = formatScale(scale) })
	}
	if want.Paused && !have.Paused {
		add(mansrtsp.PauseNow(0), func(s *gbv1.PlaybackStatus) { s.Paused = true })
	}
	return steps
}

// parseScale reads a scale of the spec or status; "" is normal speed. What the API
// would not let through reads as not given.
func parseScale(s string) (float64, bool) {
	if s == "" {
		return 1, true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < mansrtsp.MinScale || v > mansrtsp.MaxScale {
		return 1, false
	}
	return v, true
}

// formatScale writes a scale as the API's enum does (0.25, 0.5, 1, 2, 4).
func formatScale(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// needsSteering: st is a Playback whose spec asks for controls the device has not
// acknowledged, and not those it refused at this generation already.
func needsSteering(st *gbv1.Stream) bool {
	if modeOf(st) != gbv1.StreamPlayback {
		return false
	}
	have := acknowledged(st)
	if have.LastError != "" && st.Status.ObservedGeneration == st.Generation {
		return false
	}
	return len(controlSteps(st.Spec.Playback, have)) > 0
}

// describeControl says what a request asks, for Events and errors.
func describeControl(r mansrtsp.Request) string {
	switch {
	case r.Method == mansrtsp.Pause:
		return "pause"
	case r.Range != nil && r.Range.Now:
		return "resume"
	case r.Range != nil:
		return "seek to " + r.Range.Offset.String()
	case r.Scale != 0:
		return "scale " + formatScale(r.Scale)
	}
	return string(r.Method)
}
