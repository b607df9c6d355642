package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// testRecordings: a user looks back through an NVR's recordings with kubectl. A
// RecordingQuery of a channel over the last ten minutes lists its 20-second files in
// order with the spans they cover, and `kubectl get recordingqueries` shows it Complete
// with its count and coverage; a Playback Stream of one of the files plays it to a
// receiver (H.264 in PS, ffprobe); patching spec.playback pauses it (the packets stop),
// resumes it and speeds it up to 4; at the file's end the Stream is Completed and its
// dialog ended with a BYE the device answered.
//
// Its device IDs (08xx) are its own, as every scenario's.
func testRecordings(t *testing.T, e *env) {
	const ns, password = "e2e-recordings", "e2e-Pa55word"
	const nvrID, channels = "34020000001180000801", 2
	channel := sim.ChannelID(nvrID, channels, 0)
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+camera(cameraSpec{ns: ns, name: "archive-nvr", deviceID: nvrID, secret: "creds"}))
	nvr := e.startCamsim(t, "archive-nvr", "--id", nvrID, "--password", password, "--transport", "udp",
		"--channels", fmt.Sprint(channels), "--record-span", "6h", "--record-segment", "20s", "--record-gap", "10s", "--record-page", "4")
	e.wait(t, ns, "jsonpath={.status.state}=Registered", 60*time.Second, "camera/archive-nvr")

	// Query: the last ten minutes of the first channel.
	to := time.Now().Truncate(time.Second)
	from := to.Add(-10 * time.Minute)
	e.apply(t, fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: RecordingQuery
metadata:
  name: last-10m
  namespace: %s
spec:
  cameraRef:
    name: archive-nvr
  channelID: %q
  timeRange:
    start: %s
    end: %s
---
`, ns, channel, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))
	e.wait(t, ns, "jsonpath={.status.phase}=Complete", 60*time.Second, "recordingquery/last-10m")
	var rq gbv1.RecordingQuery
	if err := json.Unmarshal([]byte(e.kubectlOK(t, "get", "-n", ns, "recordingquery/last-10m", "-o", "json")), &rq); err != nil {
		t.Fatal(err)
	}
	items := rq.Status.Items
	// Ten minutes of 20 s files every 30 s: 19 or 20 finished ones.
	if len(items) < 18 || int(rq.Status.Total) != len(items) || len(rq.Status.Coverage) != len(items) {
		t.Fatalf("%d items (total %d), %d coverage spans: want about 20 files, each its own span", len(items), rq.Status.Total, len(rq.Status.Coverage))
	}
	for i := 1; i < len(items); i++ {
		if !items[i-1].Start.Before(&items[i].Start) {
			t.Errorf("items %d and %d out of order: %v, %v", i-1, i, items[i-1].Start, items[i].Start)
		}
	}
	out := e.kubectlOK(t, "get", "recordingqueries", "-n", ns)
	if row := rowOf(out, "last-10m"); !strings.Contains(row, "Complete") || !strings.Contains(row, fmt.Sprint(len(items))) || !strings.Contains(row, rq.Status.CoverageSummary) {
		t.Errorf("kubectl get recordingqueries shows %q, want Complete, %d items and %q:\n%s", row, len(items), rq.Status.CoverageSummary, out)
	}

	// Play the last file the query found.
	pick := items[len(items)-1]
	recv, err := rtprecv.Listen(0, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = recv.Close() })
	e.apply(t, fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: Stream
metadata:
  name: replay
  namespace: %s
spec:
  mode: Playback
  cameraRef:
    name: archive-nvr
  channelID: %q
  timeRange:
    start: %s
    end: %s
  destination:
    host: 127.0.0.1
    port: %d
---
`, ns, channel, pick.Start.UTC().Format(time.RFC3339), pick.End.UTC().Format(time.RFC3339), recv.Port()))
	e.wait(t, ns, "jsonpath={.status.state}=Playing", 60*time.Second, "stream/replay")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := recv.WaitPackets(ctx, 20); err != nil {
		t.Fatal(err)
	}

	e.kubectlOK(t, "patch", "-n", ns, "stream/replay", "--type", "merge", "-p", `{"spec":{"playback":{"paused":true}}}`)
	e.wait(t, ns, "jsonpath={.status.playback.paused}=true", 30*time.Second, "stream/replay")
	time.Sleep(500 * time.Millisecond) // packets in flight
	paused := recv.Packets()
	time.Sleep(time.Second)
	if n := recv.Packets(); n != paused {
		t.Errorf("%d packets while paused", n-paused)
	}

	e.kubectlOK(t, "patch", "-n", ns, "stream/replay", "--type", "merge", "-p", `{"spec":{"playback":{"paused":false}}}`)
	// paused false is left out of the status: wait for it to go.
	testutil.Eventually(t, 30*time.Second, "the resume acknowledged", func() error {
		if got := e.jsonpath(t, ns, "stream/replay", "{.status.playback.paused}"); got != "" {
			return fmt.Errorf("status.playback.paused %q", got)
		}
		return nil
	})
	if err := recv.WaitPackets(ctx, paused+10); err != nil {
		t.Fatalf("after the resume: %v", err)
	}
	e.kubectlOK(t, "patch", "-n", ns, "stream/replay", "--type", "merge", "-p", `{"spec":{"playback":{"scale":"4"}}}`)
	e.wait(t, ns, "jsonpath={.status.playback.scale}=4", 30*time.Second, "stream/replay")

	e.wait(t, ns, "jsonpath={.status.state}=Completed", 60*time.Second, "stream/replay")
	if row := rowOf(e.kubectlOK(t, "get", "streams", "-n", ns), "replay"); !strings.Contains(row, "Playback") || !strings.Contains(row, "Completed") {
		t.Errorf("kubectl get streams shows %q, want a Completed Playback", row)
	}
	// The BYE was answered 200: no dialog left, no error kept.
	if got := e.jsonpath(t, ns, "stream/replay", "{.status.completedAt}|{.status.dialog}|{.status.lastByeError}"); !strings.HasSuffix(got, "||") || len(got) < 10 {
		t.Errorf("completedAt|dialog|lastByeError of the Completed Stream: %q, want a time and no dialog or error", got)
	}
	rtprecv.RequireH264(t, recv.Stream())
	nvr.interrupt(t)
}

// rowOf is the line of `kubectl get` output naming obj.
func rowOf(out, obj string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, obj+" ") {
			return l
		}
	}
	return ""
}
