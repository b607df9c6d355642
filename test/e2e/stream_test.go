package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
)

// testStreams: a Stream of the simulated NVR's first channel over TCP and one of the IPC
// over UDP turn Playing, `kubectl get streams` shows them so, the receivers get RTP whose
// MPEG-PS holds H.264 (ffprobe), and deleting the Streams ends the media.
//
// Its device IDs (05xx) are its own: scenarios share the operator, and a device ID claimed
// in two namespaces makes the younger Camera a Conflict.
func testStreams(t *testing.T, e *env) {
	const ns, password = "e2e-streams", "e2e-Pa55word"
	const ipcID, nvrID, nvrChannels = "34020000001320000501", "34020000001180000501", 4
	receivers := map[string]*rtprecv.Receiver{}
	for name, tcp := range map[string]bool{"ipc-live": false, "nvr-live": true} {
		r, err := rtprecv.Listen(0, tcp)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		receivers[name] = r
	}

	manifest := namespace(ns) + secret(ns, "creds", password) +
		camera(cameraSpec{ns: ns, name: "gate-ipc", deviceID: ipcID, secret: "creds"}) +
		camera(cameraSpec{ns: ns, name: "hall-nvr", deviceID: nvrID, secret: "creds"}) +
		// Applied with the Cameras: the Streams wait for their devices.
		stream(ns, "ipc-live", "gate-ipc", "", "UDP", receivers["ipc-live"].Port()) +
		stream(ns, "nvr-live", "hall-nvr", sim.ChannelID(nvrID, nvrChannels, 0), "TCP", receivers["nvr-live"].Port())
	e.apply(t, manifest)

	ipc := e.startCamsim(t, "gate-ipc", "--id", ipcID, "--password", password, "--transport", "udp")
	nvr := e.startCamsim(t, "hall-nvr", "--id", nvrID, "--password", password, "--transport", "tcp",
		"--channels", fmt.Sprint(nvrChannels))
	e.wait(t, ns, "jsonpath={.status.state}=Playing", 90*time.Second, "stream/ipc-live", "stream/nvr-live")

	out := e.kubectlOK(t, "get", "streams", "-n", ns)
	for _, name := range []string{"ipc-live", "nvr-live"} {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				line = l
			}
		}
		if !strings.Contains(line, "Playing") {
			t.Errorf("kubectl get streams shows %s as %q, want Playing:\n%s", name, line, out)
		}
		if ssrc := e.jsonpath(t, ns, "stream/"+name, "{.status.ssrc}"); len(ssrc) != 10 {
			t.Errorf("%s: status.ssrc %q, want the 10-digit GB form", name, ssrc)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, r := range receivers {
		if err := r.WaitPackets(ctx, 50); err != nil {
			t.Fatalf("%s: %v (got %d packets)", name, err, r.Packets())
		}
		rtprecv.RequireH264(t, r.Stream())
	}

	e.kubectlOK(t, "delete", "-n", ns, "stream/ipc-live", "stream/nvr-live", "--wait=true", "--timeout=60s")
	time.Sleep(time.Second) // packets in flight when the BYE was answered
	for name, r := range receivers {
		before := r.Packets()
		time.Sleep(2 * time.Second)
		if after := r.Packets(); after != before {
			t.Errorf("%s: %d packets arrived after the Stream was deleted", name, after-before)
		}
	}
	for _, d := range []*devices{ipc, nvr} {
		d.interrupt(t)
	}
}

// stream is the manifest of a Stream of camera's channel (the Camera's device ID when
// channel is "") to 127.0.0.1:port over transport.
func stream(ns, name, camera, channel, transport string, port int) string {
	ch := ""
	if channel != "" {
		ch = fmt.Sprintf("  channelID: %q\n", channel)
	}
	return fmt.Sprintf(`apiVersion: gb28181.io/v1alpha1
kind: Stream
metadata:
  name: %s
  namespace: %s
spec:
  cameraRef:
    name: %s
%s  destination:
    host: 127.0.0.1
    port: %d
    transport: %s
---
`, name, ns, camera, ch, port, transport)
}
