package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestWVPCompatAgainstSipd: with WVPCompat the device answers sipd's INVITE as a
// simulator built for WVP-GB28181-pro does, To without a tag, a=recvonly and a 20-digit
// y=; sipd makes a dialog of it (with no remote tag), the media flows, and sipd's BYE
// ends the device's stream. Without the option the same INVITE gets a tagged,
// sendonly answer.
func TestWVPCompatAgainstSipd(t *testing.T) {
	for _, compat := range []bool{true, false} {
		const id = "34020000001320000001"
		store := sipdtest.NewStore(nil)
		store.SetPassword(id, "pw")
		srv := sipdtest.StartT(t, sipd.Config{}, store)
		dev := newDevice(t, sim.Config{ID: id, Password: "pw", Server: srv.UDPAddr(), WVPCompat: compat})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := dev.Register(ctx); err != nil {
			t.Fatal(err)
		}
		recv, err := rtprecv.Listen(200000009, false)
		if err != nil {
			t.Fatal(err)
		}
		defer recv.Close()
		dlg, err := srv.Invite(ctx, sipd.DeviceRef{ID: id}, "", sdp.Session{Addr: "127.0.0.1", Port: recv.Port(), SSRC: "0200000009"})
		if err != nil {
			t.Fatalf("compat=%v: Invite: %v", compat, err)
		}
		switch {
		case compat && (dlg.RemoteTag != "" || dlg.Answer.Direction != "recvonly" || len(dlg.Answer.SSRC) != 20 || strings.Trim(dlg.Answer.SSRC, "0123456789") != ""):
			t.Errorf("WVP-compatible answer: remote tag %q, direction %q, y=%q", dlg.RemoteTag, dlg.Answer.Direction, dlg.Answer.SSRC)
		case !compat && (dlg.RemoteTag == "" || dlg.Answer.Direction != "sendonly" || dlg.Answer.SSRC != "0200000009"):
			t.Errorf("standard answer: remote tag %q, direction %q, y=%q", dlg.RemoteTag, dlg.Answer.Direction, dlg.Answer.SSRC)
		}
		waitPackets(t, recv, 30)
		if err := srv.Bye(ctx, dlg); err != nil {
			t.Fatalf("compat=%v: Bye: %v", compat, err)
		}
		testutil.EventuallyTrue(t, 3*time.Second, "the stream ended by sipd's BYE", func() bool { return dev.Streams() == 0 })
		rtprecv.RequireH264(t, recv.Stream())
	}
}
