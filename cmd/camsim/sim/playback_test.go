package sim_test

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
)

// recordedDevice is a device with a continuous timeline of one-hour recordings over the
// last day, registered with p.
func recordedDevice(t *testing.T, p *gbPlatform) *sim.Device {
	return newPlatformDevice(t, p, sim.Config{Records: sim.RecordConfig{Span: 24 * time.Hour, Segment: time.Hour}})
}

func rtsp(t *testing.T, r mansrtsp.Request) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlaybackSteeredByInfo plays a recording back and steers it with MANSRTSP INFOs,
// reading the timestamps the device wrote with ffprobe: the first frames start at the
// range's start (PTS 0); Scale 2 doubles the media sent per second; PAUSE stops the
// packets and PLAY resumes at the same position; PLAY Range npt=120- goes on from 120 s
// into the range; the stream is H.264 in PS; a BYE ends it.
func TestPlaybackSteeredByInfo(t *testing.T) {
	p := newGBPlatform(t)
	dev := recordedDevice(t, p)
	const ssrc = "1200000001"
	recv := listen(t, ssrc)
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	res, dl := p.invite(dev, dev.ID(), playbackOffer("Playback", dev.ID(), start, start.Add(10*time.Minute), recv, ssrc, 0))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("playback INVITE answered %d %s", res.StatusCode, res.Reason)
	}
	if body := string(res.Body()); !strings.Contains(body, "s=Playback") || !strings.Contains(body, "y="+ssrc) {
		t.Errorf("answer SDP:\n%s", body)
	}

	waitPackets(t, recv, 1)
	firstAt := time.Now()
	time.Sleep(time.Second)
	// The rates are media seconds (the PTS ffprobe reads) per second of the wall clock
	// between two snapshots of what arrived; the INFO goes right after the first.
	before, t1 := recv.Stream(), time.Now()
	if r := p.info(dev, dl, rtsp(t, mansrtsp.PlayScale(1, 2))); r.StatusCode != sip.StatusOK {
		t.Fatalf("INFO Scale 2 answered %d", r.StatusCode)
	}
	pts := videoPTS(t, before)
	if pts[0] > 0.05 {
		t.Errorf("first PTS %.3fs, want the range's start (0)", pts[0])
	}
	if rate := pts[len(pts)-1] / t1.Sub(firstAt).Seconds(); rate < 0.7 || rate > 1.3 {
		t.Errorf("at scale 1 the media runs %.2f times real time", rate)
	}
	time.Sleep(2*time.Second - time.Since(t1))
	fast, t2 := recv.Stream(), time.Now()
	if rate := (lastPTS(t, fast) - lastPTS(t, before)) / t2.Sub(t1).Seconds(); rate < 1.6 || rate > 2.4 {
		t.Errorf("at scale 2 the media runs %.2f times real time, want 2", rate)
	}

	if r := p.info(dev, dl, rtsp(t, mansrtsp.PauseNow(2))); r.StatusCode != sip.StatusOK {
		t.Fatalf("INFO PAUSE answered %d", r.StatusCode)
	}
	time.Sleep(200 * time.Millisecond)
	pausedAt := recv.Packets()
	time.Sleep(600 * time.Millisecond)
	if n := recv.Packets(); n != pausedAt {
		t.Errorf("%d packets during the pause", n-pausedAt)
	}
	paused := recv.Stream()
	pausedPTS := lastPTS(t, paused)

	if r := p.info(dev, dl, rtsp(t, mansrtsp.PlayResume(3))); r.StatusCode != sip.StatusOK {
		t.Fatalf("INFO PLAY (resume) answered %d", r.StatusCode)
	}
	time.Sleep(500 * time.Millisecond)
	resumed := videoPTS(t, recv.Stream())
	if next := firstAfter(resumed, len(videoPTS(t, paused))); math.Abs(next-pausedPTS-0.04) > 0.05 {
		t.Errorf("resumed at %.3fs, paused at %.3fs: the position was not kept", next, pausedPTS)
	}

	if r := p.info(dev, dl, rtsp(t, mansrtsp.PlaySeek(4, 120*time.Second))); r.StatusCode != sip.StatusOK {
		t.Fatalf("INFO PLAY Range answered %d", r.StatusCode)
	}
	time.Sleep(time.Second)
	// The stream jumps from where it was (seconds into the range) to 120 s.
	after := videoPTS(t, recv.Stream())
	j := slices.IndexFunc(after, func(v float64) bool { return v >= 100 })
	if j < 1 || math.Abs(after[j]-120) > 0.001 || after[j-1] > 60 {
		t.Errorf("after the seek to npt=120 the stream goes on at %v", after[max(j-1, 0):min(max(j, 0)+2, len(after))])
	}
	rtprecv.RequireH264(t, recv.Stream())

	if r := p.bye(dev, dl); r.StatusCode != sip.StatusOK {
		t.Fatalf("BYE answered %d", r.StatusCode)
	}
	if dev.Streams() != 0 {
		t.Errorf("device still in %d calls", dev.Streams())
	}
}

// firstAfter is the PTS at index i of pts, or -1.
func firstAfter(pts []float64, i int) float64 {
	if i < len(pts) {
		return pts[i]
	}
	return -1
}

// TestPlaybackEndsWithMediaStatus: at the end of the range the device stops sending and
// sends a MediaStatus Notify 121 by MESSAGE in the dialog; the dialog lives until the
// BYE.
func TestPlaybackEndsWithMediaStatus(t *testing.T) {
	p := newGBPlatform(t)
	dev := recordedDevice(t, p)
	const ssrc = "1200000002"
	recv := listen(t, ssrc)
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	res, dl := p.invite(dev, dev.ID(), playbackOffer("Playback", dev.ID(), start, start.Add(2*time.Second), recv, ssrc, 0))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("playback INVITE answered %d", res.StatusCode)
	}
	in := p.expect("MediaStatus", 5*time.Second, isMessageNotify("MediaStatus"))
	from, _ := in.req.From().Params.Get("tag")
	to, _ := in.req.To().Params.Get("tag")
	if in.msg.NotifyType != manscdp.NotifyTypeEndOfFile || in.req.CallID().Value() != dl.callID || from != dl.toTag || to != dl.fromTag {
		t.Errorf("MediaStatus %d, Call-ID %s, tags %s/%s: want 121 in the dialog", in.msg.NotifyType, in.req.CallID().Value(), from, to)
	}
	time.Sleep(200 * time.Millisecond)
	done := recv.Packets()
	time.Sleep(500 * time.Millisecond)
	if recv.Packets() != done {
		t.Error("packets after the end of the range")
	}
	pts := videoPTS(t, recv.Stream())
	if len(pts) != 50 || math.Abs(pts[len(pts)-1]-1.96) > 0.001 {
		t.Errorf("%d frames, the last at %.3fs: want the range's 50, to 1.96s", len(pts), pts[len(pts)-1])
	}
	if dev.Streams() != 1 {
		t.Errorf("device in %d calls after the end, want the dialog kept", dev.Streams())
	}
	if r := p.bye(dev, dl); r.StatusCode != sip.StatusOK {
		t.Errorf("BYE after the end answered %d", r.StatusCode)
	}
}

// TestDownloadFasterThanRealTime: a download at speed 4 sends the whole range, stamped
// from its start, in about a quarter of its length, then says so.
func TestDownloadFasterThanRealTime(t *testing.T) {
	p := newGBPlatform(t)
	dev := recordedDevice(t, p)
	const ssrc = "1200000003"
	recv := listen(t, ssrc)
	start := time.Now().Add(-5 * time.Hour).Truncate(time.Second)
	res, _ := p.invite(dev, dev.ID(), playbackOffer("Download", dev.ID(), start, start.Add(8*time.Second), recv, ssrc, 4))
	if res.StatusCode != sip.StatusOK || !strings.Contains(string(res.Body()), "s=Download") {
		t.Fatalf("download INVITE answered %d:\n%s", res.StatusCode, res.Body())
	}
	waitPackets(t, recv, 1)
	began := time.Now()
	p.expect("MediaStatus", 10*time.Second, isMessageNotify("MediaStatus"))
	took := time.Since(began)
	pts := videoPTS(t, recv.Stream())
	if len(pts) != 200 || pts[0] != 0 || math.Abs(pts[len(pts)-1]-7.96) > 0.001 {
		t.Errorf("%d frames from %.3fs to %.3fs, want 8s of them (200) from 0", len(pts), pts[0], pts[len(pts)-1])
	}
	if took > 5*time.Second {
		t.Errorf("8s downloaded at speed 4 in %v: not faster than real time", took)
	}
}

// TestPlaybackRefusals: a range without recordings gets 404, from a device with a
// timeline (a time in the future) and one without; a playback without a usable range
// gets 400; a live INVITE still plays.
func TestPlaybackRefusals(t *testing.T) {
	p := newGBPlatform(t)
	dev := recordedDevice(t, p)
	recv := listen(t, "1200000004")
	future := time.Now().Add(time.Hour)
	if res, _ := p.invite(dev, dev.ID(), playbackOffer("Playback", dev.ID(), future, future.Add(time.Minute), recv, "1200000004", 0)); res.StatusCode != sip.StatusNotFound {
		t.Errorf("playback of the future answered %d, want 404", res.StatusCode)
	}
	past := time.Now().Add(-time.Hour)
	bad := []byte(strings.Replace(string(playbackOffer("Playback", dev.ID(), past, past.Add(time.Minute), recv, "1200000004", 0)), "t="+itoa(past.Unix()), "t=0", 1))
	if res, _ := p.invite(dev, dev.ID(), bad); res.StatusCode != sip.StatusBadRequest {
		t.Errorf("playback without a range answered %d, want 400", res.StatusCode)
	}

	p2 := newGBPlatform(t)
	bare := newPlatformDevice(t, p2, sim.Config{ID: "34020000001320000002"})
	if res, _ := p2.invite(bare, bare.ID(), playbackOffer("Playback", bare.ID(), past, past.Add(time.Minute), recv, "1200000004", 0)); res.StatusCode != sip.StatusNotFound {
		t.Errorf("playback from a device without recordings answered %d, want 404", res.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
