package controllers

import (
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
)

// TestStreamOfConflictingCameraDoesNotPlay: a user of namespace B, who may create
// Cameras and Streams there, names namespace A's device in a Camera of B (it shows
// Conflict) and plays it with a Stream of B. The Stream must wait with reason
// CameraConflict, and the device must receive no INVITE: one namespace never reaches
// another's camera. A's own Stream of the device still plays.
func TestStreamOfConflictingCameraDoesNotPlay(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	nsA, nsB := newNamespace(t, c), newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{nsA, nsB}, streams: &fastStreams})
	const id = "34020000001320000401"
	dev := streamCamera(t, c, op, nsA, "lobby", id, sim.Config{})

	createSecret(t, c, nsB, "mine", map[string]string{"password": "guess"})
	time.Sleep(1100 * time.Millisecond) // creationTimestamp has one-second precision: A's Camera is older
	createCamera(t, c, nsB, "stolen", id, "mine")
	waitCamera(t, c, nsB, "stolen", 10*time.Second, inState(gbv1.StateConflict, gbv1.ConditionReady, gbv1.ReasonDuplicateDeviceID))

	thief := listen(t, 200000401, false)
	createStream(t, c, nsB, "peek", "stolen", thief.Port(), func(st *gbv1.Stream) { st.Spec.SSRC = "0200000401" })
	peek := waitStream(t, c, nsB, "peek", gbv1.StreamWaitingForCamera, gbv1.ReasonCameraConflict)
	if peek.Status.Dialog != nil {
		t.Fatalf("the Stream of namespace B holds a dialog with A's device: %+v", peek.Status.Dialog)
	}
	time.Sleep(2 * time.Second) // time enough for an INVITE, had one gone out
	if n := dev.Streams(); n != 0 {
		t.Errorf("A's device plays %d streams for namespace B", n)
	}
	if n := thief.Packets(); n != 0 {
		t.Errorf("namespace B's receiver got %d packets of A's camera", n)
	}

	own := listen(t, 200000402, false)
	createStream(t, c, nsA, "live", "lobby", own.Port(), func(st *gbv1.Stream) { st.Spec.SSRC = "0200000402" })
	waitStream(t, c, nsA, "live", gbv1.StreamPlaying, gbv1.ReasonPlaying)
	if err := own.WaitPackets(ctxT(t), 10); err != nil {
		t.Fatalf("A's own Stream: %v", err)
	}
}
