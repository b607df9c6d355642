package controllers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/stream"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// fastStreams retry quickly, so the tests see the re-INVITEs.
var fastStreams = stream.Options{RetryMin: 200 * time.Millisecond, RetryMax: time.Second, ByeTimeout: 2 * time.Second, InviteTimeout: 5 * time.Second}

// streamCamera creates a Camera for id and registers a camsim device for it.
func streamCamera(t *testing.T, c client.Client, op *operator, ns, name, id string, cfg sim.Config) *sim.Device {
	t.Helper()
	createSecret(t, c, ns, name+"-sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, name, id, name+"-sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Catalog.Disabled = cfg.Channels == 0
	})
	waitKnown(t, op, id)
	cfg.ID, cfg.Password, cfg.Server, cfg.LocalIP = id, "pw", op.addr(), "127.0.0.1"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	dev, err := sim.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitCamera(t, c, ns, name, 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	return dev
}

func createStream(t *testing.T, c client.Client, ns, name, camera string, port int, mut ...func(*gbv1.Stream)) {
	t.Helper()
	st := &gbv1.Stream{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gbv1.StreamSpec{
			CameraRef:   gbv1.LocalObjectReference{Name: camera},
			Destination: gbv1.Destination{Host: "127.0.0.1", Port: int32(port)},
		},
	}
	for _, m := range mut {
		m(st)
	}
	if err := c.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// waitStream waits until the Stream is in state with the Ready reason and returns it.
func waitStream(t *testing.T, c client.Client, ns, name string, state gbv1.StreamState, reason string) *gbv1.Stream {
	t.Helper()
	var last gbv1.Stream
	testutil.Eventually(t, 20*time.Second, fmt.Sprintf("stream %s %s/%s", name, state, reason), func() error {
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &last); err != nil {
			return err
		}
		ready := meta.FindStatusCondition(last.Status.Conditions, gbv1.ConditionReady)
		if ready == nil {
			return fmt.Errorf("state %q, no Ready condition", last.Status.State)
		}
		if last.Status.State != state || ready.Reason != reason {
			return fmt.Errorf("state %q reason %q (%s)", last.Status.State, ready.Reason, ready.Message)
		}
		return nil
	})
	return &last
}

func listen(t *testing.T, ssrc uint32, tcp bool) *rtprecv.Receiver {
	t.Helper()
	r, err := rtprecv.Listen(ssrc, tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// stopsWithin checks that the packets stopped within d: none arrives in the half
// second after it.
func stopsWithin(t *testing.T, r *rtprecv.Receiver, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	n := r.Packets()
	time.Sleep(500 * time.Millisecond)
	if got := r.Packets(); got != n {
		t.Errorf("%d packets arrived more than %v after the stream was stopped", got-n, d)
	}
}

// TestStreamPlaysAndStopsOnDelete: a Stream plays an IPC's H.264 over UDP and TCP to
// the receiver with its SSRC; status records the dialog; deleting the Stream sends the
// BYE, the media stops within a second and the Stream goes away.
func TestStreamPlaysAndStopsOnDelete(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, streams: &fastStreams})
	const id = "34020000001320000301"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})
	for i, tcp := range []bool{false, true} {
		name := fmt.Sprintf("live-%d", i)
		ssrc := fmt.Sprintf("02000003%02d", i)
		ssrcNum, _ := strconv.ParseUint(ssrc, 10, 32)
		recv := listen(t, uint32(ssrcNum), tcp)
		createStream(t, c, ns, name, "ipc", recv.Port(), func(st *gbv1.Stream) {
			st.Spec.SSRC = ssrc
			if tcp {
				st.Spec.Destination.Transport = gbv1.TransportTCP
			}
		})
		st := waitStream(t, c, ns, name, gbv1.StreamPlaying, gbv1.ReasonPlaying)
		if d := st.Status.Dialog; d == nil || d.CallID == "" || d.RemoteTag == "" || d.DeviceID != id || st.Status.SSRC != ssrc || st.Status.ChannelID != id || st.Status.MediaPort == 0 || st.Status.StartedAt == nil {
			t.Errorf("status %+v dialog %+v", st.Status, st.Status.Dialog)
		}
		if err := recv.WaitPackets(ctxT(t), 60); err != nil {
			t.Fatal(err)
		}
		rtprecv.RequireH264(t, recv.Stream())
		if err := c.Delete(context.Background(), st); err != nil {
			t.Fatal(err)
		}
		stopsWithin(t, recv, time.Second)
		testutil.Eventually(t, 10*time.Second, "stream deleted", func() error {
			err := c.Get(context.Background(), client.ObjectKeyFromObject(st), st)
			if err == nil {
				return fmt.Errorf("still there, finalizers %v", st.Finalizers)
			}
			return client.IgnoreNotFound(err)
		})
		if dev.Streams() != 0 {
			t.Errorf("device still streams %d", dev.Streams())
		}
	}
}

// TestStreamComesBack: a device's own BYE, a new registration of the Camera and an
// operator restart each end the dialog, and the Stream plays again with a new one.
func TestStreamComesBack(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, streams: &fastStreams})
	const id = "34020000001320000302"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})
	recv := listen(t, 200000302, false)
	createStream(t, c, ns, "live", "ipc", recv.Port(), func(st *gbv1.Stream) { st.Spec.SSRC = "0200000302" })
	st := waitStream(t, c, ns, "live", gbv1.StreamPlaying, gbv1.ReasonPlaying)

	// playsAgain waits for a dialog other than the last one, and media from it.
	playsAgain := func(what string) {
		t.Helper()
		prev := st.Status.Dialog.CallID
		testutil.Eventually(t, 20*time.Second, what, func() error {
			st = waitStream(t, c, ns, "live", gbv1.StreamPlaying, gbv1.ReasonPlaying)
			if st.Status.Dialog.CallID == prev {
				return fmt.Errorf("still dialog %s", prev)
			}
			return nil
		})
		n := recv.Packets()
		if err := recv.WaitPackets(ctxT(t), n+10); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s := dev.Streams(); s != 1 {
			t.Errorf("%s: device in %d calls, want 1", what, s)
		}
	}

	if err := dev.HangUp(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	playsAgain("after the device's BYE")

	if err := dev.Unregister(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitStream(t, c, ns, "live", gbv1.StreamWaitingForCamera, gbv1.ReasonCameraNotRegistered)
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	playsAgain("after a new registration")

	waitKindEvents(t, c, ns, "Stream", "live", gbv1.ReasonPlaying, gbv1.ReasonEndedByDevice, gbv1.ReasonCameraNotRegistered)

	addr := op.addr()
	op.stop(t)
	startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, listen: addr, streams: &fastStreams}) // stopped by its cleanup
	playsAgain("after an operator restart")
}

// TestStreamConditions: what a Stream reports when it cannot play.
func TestStreamConditions(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, streams: &fastStreams})
	const nvrID = "34020000001180000303"
	dev := streamCamera(t, c, op, ns, "nvr", nvrID, sim.Config{Channels: 2, Media: sim.MediaConfig{MaxStreams: 1}})
	waitCamera(t, c, ns, "nvr", 20*time.Second, func(cam *gbv1.Camera) error {
		if len(cam.Status.Channels) != 2 {
			return fmt.Errorf("%d channels", len(cam.Status.Channels))
		}
		return nil
	})
	recv := listen(t, 0, false)

	createStream(t, c, ns, "no-camera", "missing", recv.Port())
	waitStream(t, c, ns, "no-camera", gbv1.StreamWaitingForCamera, gbv1.ReasonCameraNotFound)

	createStream(t, c, ns, "no-channel", "nvr", recv.Port(), func(st *gbv1.Stream) { st.Spec.ChannelID = "34020000001310999999" })
	waitStream(t, c, ns, "no-channel", gbv1.StreamFailed, gbv1.ReasonChannelNotFound)

	ch := sim.ChannelID(nvrID, 2, 1)
	createStream(t, c, ns, "first", "nvr", recv.Port(), func(st *gbv1.Stream) { st.Spec.ChannelID = ch })
	first := waitStream(t, c, ns, "first", gbv1.StreamPlaying, gbv1.ReasonPlaying)
	if !regexp.MustCompile(`^020000[0-9]{4}$`).MatchString(first.Status.SSRC) {
		t.Errorf("generated ssrc %q, want 0, 5 realm digits (20000), 4 digits", first.Status.SSRC)
	}
	// The simulated NVR plays one stream at a time: the second INVITE gets 486.
	createStream(t, c, ns, "second", "nvr", recv.Port(), func(st *gbv1.Stream) { st.Spec.ChannelID = ch })
	second := waitStream(t, c, ns, "second", gbv1.StreamFailed, gbv1.ReasonRejected)
	if second.Status.SSRC == first.Status.SSRC {
		t.Errorf("two live streams share ssrc %s", first.Status.SSRC)
	}

	// Suspending the first ends its dialog; the second gets the device's slot.
	patchStream(t, c, ns, "first", func(st *gbv1.Stream) { st.Spec.Suspend = true })
	waitStream(t, c, ns, "first", gbv1.StreamStopped, gbv1.ReasonStreamSuspended)
	waitStream(t, c, ns, "second", gbv1.StreamPlaying, gbv1.ReasonPlaying)
	if n := dev.Streams(); n != 1 {
		t.Errorf("device in %d calls, want 1", n)
	}
}

func patchStream(t *testing.T, c client.Client, ns, name string, mut func(*gbv1.Stream)) {
	t.Helper()
	var st gbv1.Stream
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &st); err != nil {
		t.Fatal(err)
	}
	orig := st.DeepCopy()
	mut(&st)
	if err := c.Patch(context.Background(), &st, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
}

// TestStreamFollowsOfflineCamera: when the Camera goes Offline the Stream ends its
// dialog and waits; when the device keeps alive again it is invited anew.
func TestStreamFollowsOfflineCamera(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, streams: &fastStreams})
	const id = "34020000001320000304"
	dev := streamCamera(t, c, op, ns, "ipc", id, sim.Config{})
	patchCamera(t, c, ns, "ipc", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Second}
		cam.Spec.Keepalive.TimeoutCount = 2
	})
	recv := listen(t, 200000304, false)
	createStream(t, c, ns, "live", "ipc", recv.Port(), func(st *gbv1.Stream) { st.Spec.SSRC = "0200000304" })
	if err := dev.Keepalive(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	first := waitStream(t, c, ns, "live", gbv1.StreamPlaying, gbv1.ReasonPlaying)

	// No keepalives: Offline after two missed seconds.
	waitCamera(t, c, ns, "ipc", 10*time.Second, inState(gbv1.StateOffline, "", ""))
	waitStream(t, c, ns, "live", gbv1.StreamWaitingForCamera, gbv1.ReasonCameraNotRegistered)
	if n := dev.Streams(); n != 0 {
		t.Errorf("device still in %d calls while its Camera is Offline", n)
	}
	stopsWithin(t, recv, time.Second)

	every(t, 300*time.Millisecond, func(ctx context.Context) { _ = dev.Keepalive(ctx) })
	again := waitStream(t, c, ns, "live", gbv1.StreamPlaying, gbv1.ReasonPlaying)
	if again.Status.Dialog.CallID == first.Status.Dialog.CallID {
		t.Error("playing again in the old dialog")
	}
	if err := recv.WaitPackets(ctxT(t), recv.Packets()+10); err != nil {
		t.Fatal(err)
	}
}

func patchCamera(t *testing.T, c client.Client, ns, name string, mut func(*gbv1.Camera)) {
	t.Helper()
	cam := getCamera(t, c, ns, name)
	orig := cam.DeepCopy()
	mut(cam)
	if err := c.Patch(context.Background(), cam, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
}
