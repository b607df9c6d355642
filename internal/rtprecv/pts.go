package rtprecv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// VideoPTS writes a Program Stream to a file under dir and returns the presentation
// times, in seconds and in stream order, that ffprobe reads from its video packets: an
// independent reading of the timestamps the device wrote. A stream cut short (the
// receiver's copy ends mid-packet) gives the packets before the cut.
func VideoPTS(ctx context.Context, dir string, ps []byte) ([]float64, error) {
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		return nil, ErrNoFFprobe
	}
	f := filepath.Join(dir, "pts.ps")
	if err := os.WriteFile(f, ps, 0o600); err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-f", "mpeg", "-i", f, "-select_streams", "v",
		"-show_entries", "packet=pts_time", "-of", "csv=p=0").Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("rtprecv: ffprobe: %w", err)
	}
	var pts []float64
	for _, line := range strings.Split(string(out), "\n") {
		if v, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(line), ","), 64); err == nil {
			pts = append(pts, v)
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("rtprecv: ffprobe found no video packet in %d bytes", len(ps))
	}
	return pts, nil
}

// RequireVideoPTS is VideoPTS for a test: it fails t on an error and, like
// RequireH264, skips without ffprobe (and under -short), except under CI=true, where
// ffprobe's absence is a failure.
func RequireVideoPTS(t testing.TB, ps []byte) []float64 {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: ffprobe does not read the timestamps")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pts, err := VideoPTS(ctx, t.TempDir(), ps)
	if errors.Is(err, ErrNoFFprobe) {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffprobe not installed (Debian package ffmpeg); CI must provide it")
		}
		t.Skip("ffprobe not installed (Debian package ffmpeg)")
	}
	if err != nil {
		t.Fatal(err)
	}
	return pts
}
