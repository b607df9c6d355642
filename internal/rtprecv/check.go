package rtprecv

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// RequireH264 fails t unless ffprobe finds an H.264 video stream in ps. Without ffprobe
// it skips, except under CI=true, where ffprobe is installed and its absence is a failure.
// Under -short (`make unit`) it skips without running ffprobe, which ends the test there:
// call it after the checks that need no ffprobe.
func RequireH264(t testing.TB, ps []byte) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: ffprobe does not check the stream")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	streams, err := Probe(ctx, t.TempDir(), ps)
	if errors.Is(err, ErrNoFFprobe) {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffprobe not installed (Debian package ffmpeg); CI must provide it")
		}
		t.Skip("ffprobe not installed (Debian package ffmpeg)")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(streams, "video,h264") {
		t.Fatalf("ffprobe found %q in %d bytes of PS, want an H.264 video stream", streams, len(ps))
	}
}
