package sipd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// simDevice registers a camsim device (an NVR when channels > 0) with s over transport.
func simDevice(t *testing.T, s *sipd.Server, store *sipdtest.Store, transport string, channels int, media sim.MediaConfig) *sim.Device {
	t.Helper()
	store.SetPassword(devID, devPW)
	d, err := sim.NewDevice(sim.Config{ID: devID, Password: devPW, Server: sipdtest.Addr(s, transport), Transport: transport, LocalIP: "127.0.0.1", Channels: channels, Media: media, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Register(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return d
}

func listenMedia(t *testing.T, ssrc uint32, tcp bool) *rtprecv.Receiver {
	t.Helper()
	r, err := rtprecv.Listen(ssrc, tcp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestInviteBye plays a camsim device's stream through Server.Invite over both SIP
// transports and both media transports: RTP with the offered SSRC arrives, ffprobe reads
// H.264 in the Program Stream, and Bye stops it within a second.
func TestInviteBye(t *testing.T) {
	for _, transport := range transports {
		for _, tcpMedia := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tcpMedia=%v", transport, tcpMedia), func(t *testing.T) {
				store := sipdtest.NewStore(nil)
				s := sipdtest.StartT(t, sipd.Config{}, store)
				d := simDevice(t, s, store, transport, 0, sim.MediaConfig{})
				recv := listenMedia(t, 200000001, tcpMedia)
				dlg, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: recv.Port(), TCP: tcpMedia, SSRC: "0200000001"})
				if err != nil {
					t.Fatal(err)
				}
				if dlg.RemoteTag == "" || dlg.RemoteTarget == "" || dlg.Answer.SSRC != "0200000001" || dlg.Answer.Direction != "sendonly" || dlg.Transport != map[string]string{"udp": "UDP", "tcp": "TCP"}[transport] {
					t.Errorf("dialog %+v", dlg)
				}
				if !s.DialogLive(dlg.CallID) {
					t.Error("dialog not live")
				}
				if err := recv.WaitPackets(testCtx(t), 60); err != nil {
					t.Fatal(err)
				}
				if err := s.Bye(testCtx(t), dlg); err != nil {
					t.Fatal(err)
				}
				time.Sleep(200 * time.Millisecond)
				n := recv.Packets()
				time.Sleep(800 * time.Millisecond)
				if got := recv.Packets(); got != n {
					t.Errorf("%d packets more than 200ms after the BYE", got-n)
				}
				if d.Streams() != 0 || s.DialogLive(dlg.CallID) {
					t.Errorf("dialog still live: device %d streams, registrar %v", d.Streams(), s.DialogLive(dlg.CallID))
				}
				rtprecv.RequireH264(t, recv.Stream())
			})
		}
	}
}

// TestInviteNVRChannel: the INVITE names an NVR's channel; an unknown one is refused
// with the device's 404.
func TestInviteNVRChannel(t *testing.T) {
	store := sipdtest.NewStore(nil)
	s := sipdtest.StartT(t, sipd.Config{}, store)
	simDevice(t, s, store, "udp", 4, sim.MediaConfig{})
	recv := listenMedia(t, 200000002, false)
	offer := sdp.Session{Addr: "127.0.0.1", Port: recv.Port(), SSRC: "0200000002"}
	if _, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, sim.ChannelID(devID, 4, 2), offer); err != nil {
		t.Fatal(err)
	}
	if err := recv.WaitPackets(testCtx(t), 5); err != nil {
		t.Fatal(err)
	}
	_, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "34020000001310999999", offer)
	var de *sipd.DialogError
	if !errors.As(err, &de) || de.Code != 404 {
		t.Fatalf("unknown channel: %v, want the device's 404", err)
	}
}

// TestDeviceBye: a device's BYE ends the dialog, is answered 200, and notifies.
func TestDeviceBye(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			changes := sipdtest.NewChanges()
			s := sipdtest.StartT(t, sipd.Config{Notifier: changes}, store)
			d := simDevice(t, s, store, transport, 0, sim.MediaConfig{})
			changes.Wait(t, devID) // the registration
			recv := listenMedia(t, 200000003, false)
			dlg, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: recv.Port(), SSRC: "0200000003"})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.HangUp(testCtx(t)); err != nil {
				t.Fatalf("device BYE: %v", err)
			}
			changes.Wait(t, devID)
			if s.DialogLive(dlg.CallID) {
				t.Error("dialog still live after the device's BYE")
			}
			if !s.DialogEnded(dlg.CallID) || s.DialogEnded(dlg.CallID) {
				t.Error("DialogEnded is not true exactly once")
			}
		})
	}
}

// TestInviteUnanswered: over UDP the INVITE is retransmitted to a silent device until
// the context ends; meanwhile MaxInvites holds further INVITEs back.
func TestInviteUnanswered(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var received atomic.Int32
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := silent.ReadFrom(buf); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	s := sipdtest.StartT(t, sipd.Config{MaxInvites: 1}, sipdtest.NewStore(nil))
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: silent.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	offer := sdp.Session{Addr: "127.0.0.1", Port: 9, SSRC: "0200000004"}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 1700*time.Millisecond)
		defer cancel()
		_, err := s.Invite(ctx, sipd.DeviceRef{ID: devID}, "", offer)
		done <- err
	}()
	for received.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", offer); !errors.Is(err, sipd.ErrTooManyInvites) {
		t.Errorf("second INVITE: %v, want ErrTooManyInvites", err)
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unanswered INVITE: %v, want the context's deadline", err)
	}
	// Sent at 0, 0.5 s and 1.5 s (Timer A doubling); a loaded machine may lose the last.
	if n := received.Load(); n < 2 {
		t.Errorf("INVITE sent %d times in 1.7 s, want it retransmitted", n)
	}
	if _, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: "34020000001320000099"}, "", offer); !errors.Is(err, sipd.ErrNotRegistered) {
		t.Errorf("unregistered device: %v, want ErrNotRegistered", err)
	}
}

// TestInviteLateAnswer: a 200 OK that arrives after the caller gave up on the INVITE is
// acknowledged and the dialog ended with a BYE, so the device does not stream for nobody.
func TestInviteLateAnswer(t *testing.T) {
	dev, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: dev.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Invite(ctx, sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: 9, SSRC: "0200000005"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invite: %v, want the context's deadline", err)
	}
	read := func() (sip.Message, net.Addr) {
		t.Helper()
		buf := make([]byte, 65536)
		_ = dev.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := dev.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		m, err := sip.NewParser().ParseSIP(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		return m, from
	}
	m, from := read()
	inv, ok := m.(*sip.Request)
	if !ok || inv.Method != sip.INVITE {
		t.Fatalf("got %v, want the INVITE", m)
	}
	res := sip.NewResponseFromRequest(inv, 200, "OK", sdp.Session{Addr: "127.0.0.1", Port: 15060, SSRC: "0200000005", Direction: "sendonly"}.Marshal())
	res.To().Params = sip.NewParams()
	res.To().Params.Add("tag", "late")
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: devID, Host: "127.0.0.1", Port: dev.LocalAddr().(*net.UDPAddr).Port}})
	if _, err := dev.WriteTo([]byte(res.String()), from); err != nil {
		t.Fatal(err)
	}
	var got []sip.RequestMethod
	for len(got) < 2 {
		m, _ := read()
		req, ok := m.(*sip.Request)
		if !ok || req.Method == sip.INVITE {
			continue // a retransmission
		}
		if req.CallID().Value() != inv.CallID().Value() {
			t.Fatalf("%s of another call", req.Method)
		}
		if tag, _ := req.To().Params.Get("tag"); tag != "late" {
			t.Errorf("%s To tag %q", req.Method, tag)
		}
		got = append(got, req.Method)
		if req.Method == sip.BYE {
			_, _ = dev.WriteTo([]byte(sip.NewResponseFromRequest(req, 200, "OK", nil).String()), from)
		}
	}
	if got[0] != sip.ACK || got[1] != sip.BYE {
		t.Errorf("sent %v after the late 200, want ACK then BYE", got)
	}
}
