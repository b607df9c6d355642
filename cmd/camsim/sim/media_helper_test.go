package sim_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/sipd/sdp"
)

// videoPTS returns the presentation times, in seconds and in stream order, that ffprobe
// reads from the video packets of a Program Stream: an independent reading of the
// timestamps the device wrote. Like rtprecv.RequireH264, it skips without ffprobe
// except under CI=true, where ffprobe's absence is a failure.
func videoPTS(t *testing.T, ps []byte) []float64 {
	t.Helper()
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffprobe not installed (Debian package ffmpeg); CI must provide it")
		}
		t.Skip("ffprobe not installed (Debian package ffmpeg)")
	}
	f := filepath.Join(t.TempDir(), "stream.ps")
	if err := os.WriteFile(f, ps, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-f", "mpeg", "-i", f, "-select_streams", "v",
		"-show_entries", "packet=pts_time", "-of", "csv=p=0").Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("ffprobe: %v", err)
	}
	var pts []float64
	for _, line := range strings.Split(string(out), "\n") {
		v, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(line), ","), 64)
		if err == nil {
			pts = append(pts, v)
		}
	}
	if len(pts) == 0 {
		t.Fatalf("ffprobe found no video packet in %d bytes", len(ps))
	}
	return pts
}

func lastPTS(t *testing.T, ps []byte) float64 {
	t.Helper()
	pts := videoPTS(t, ps)
	return pts[len(pts)-1]
}

// playbackOffer is a platform's playback or download SDP offer for channel over
// [start, end] to a receiver, as WVP writes it: s=Playback (or Download), u=, t= in Unix
// seconds, a y= starting with 1.
func playbackOffer(kind, channel string, start, end time.Time, recv *rtprecv.Receiver, ssrc string, speed int) []byte {
	body := string(sdp.Session{User: "34020000002000000001", Name: kind, Addr: "127.0.0.1", Port: recv.Port(), Direction: "recvonly", SSRC: ssrc}.Marshal())
	body = strings.Replace(body, "s="+kind+"\r\n", "s="+kind+"\r\nu="+channel+":0\r\n", 1)
	body = strings.Replace(body, "t=0 0\r\n", "t="+strconv.FormatInt(start.Unix(), 10)+" "+strconv.FormatInt(end.Unix(), 10)+"\r\n", 1)
	if speed > 0 {
		body += "a=downloadspeed:" + strconv.Itoa(speed) + "\r\n"
	}
	return []byte(body)
}

func listen(t *testing.T, ssrc string) *rtprecv.Receiver {
	t.Helper()
	n, err := strconv.ParseUint(ssrc, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rtprecv.Listen(uint32(n), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func waitPackets(t *testing.T, r *rtprecv.Receiver, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitPackets(ctx, n); err != nil {
		t.Fatal(err)
	}
}
