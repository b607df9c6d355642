package sipd_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/mansrtsp"
	"github.com/gb28181/camera-operator/sipd/sdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// Playback and download over loopback sockets: the offer of a recording, the INFOs that
// steer it and their CSeqs, and the MediaStatus that ends it, against a device played
// byte for byte (rawUAS) and against camsim.

const playbackChannel = "34020000001310000001"

// recordingSpan is a span of the recording the tests play: an hour ago, ten minutes.
func recordingSpan() (start, end int64) {
	s := time.Now().Add(-time.Hour).Truncate(time.Second).Unix()
	return s, s + 600
}

// invitedRecording makes a dialog of session (Playback or Download) with the raw device
// u: the INVITE's request and the dialog.
func invitedRecording(t *testing.T, s *sipd.Server, u *rawUAS, offer sdp.Session) (*sip.Request, sipd.Dialog) {
	t.Helper()
	type outcome struct {
		d   sipd.Dialog
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		d, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, playbackChannel, offer)
		done <- outcome{d, err}
	}()
	inv := u.next(sip.INVITE)
	contact := "Contact: <sip:" + playbackChannel + "@" + u.conn.LocalAddr().String() + ">\r\n"
	u.answer(responseText(inv, "200", "OK", "dev-tag", "Content-Type: application/sdp\r\n"+contact, answerSDP(15060)))
	got := <-done
	if got.err != nil {
		t.Fatalf("Invite: %v", got.err)
	}
	u.next(sip.ACK)
	return inv, got.d
}

// TestPlaybackInviteOffer: a Playback and a Download INVITE carry the lines of GB/T
// 28181 §9.8/§9.9: s=Playback or s=Download, u=<channel>:0, t=<start> <end> in Unix
// seconds, the history SSRC (first digit 1) in y= and the Subject, a=downloadspeed for
// a Download only; the dialog remembers which kind it is.
func TestPlaybackInviteOffer(t *testing.T) {
	start, end := recordingSpan()
	for _, tc := range []struct {
		name, ssrc string
		speed      int
		want       []string
		never      []string
	}{
		{sdp.NamePlayback, "1200000001", 4, []string{"s=Playback\r\n", "a=recvonly\r\n"}, []string{"downloadspeed"}},
		{sdp.NameDownload, "1200000002", 4, []string{"s=Download\r\n", "a=downloadspeed:4\r\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
			u := newRawUAS(t, s, devID)
			inv, d := invitedRecording(t, s, u, sdp.Session{Name: tc.name, Addr: "127.0.0.1", Port: 30000, SSRC: tc.ssrc, Start: start, End: end, DownloadSpeed: tc.speed})
			body := string(inv.Body())
			want := append([]string{
				"u=" + playbackChannel + ":0\r\n",
				"t=" + strconv.FormatInt(start, 10) + " " + strconv.FormatInt(end, 10) + "\r\n",
				"y=" + tc.ssrc + "\r\n",
				"o=34020000002000000001 ",
			}, tc.want...)
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("offer lacks %q:\n%s", w, body)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(body, n) {
					t.Errorf("offer has %q:\n%s", n, body)
				}
			}
			if subject := inv.GetHeader("Subject"); subject == nil || subject.Value() != playbackChannel+":"+tc.ssrc+",34020000002000000001:0" {
				t.Errorf("Subject %v", subject)
			}
			if d.Session != tc.name || d.ChannelID != playbackChannel {
				t.Errorf("dialog session %q channel %q", d.Session, d.ChannelID)
			}
		})
	}
}

// TestInviteRefusesBadOffer: an offer no device could act on fails before anything is
// sent: a recording without a span, an unknown session.
func TestInviteRefusesBadOffer(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	newRawUAS(t, s, devID)
	for _, offer := range []sdp.Session{
		{Name: sdp.NamePlayback, Addr: "127.0.0.1", Port: 9, SSRC: "1200000001"},
		{Name: sdp.NameDownload, Addr: "127.0.0.1", Port: 9, SSRC: "1200000001", Start: 20, End: 10},
		{Name: "Talk", Addr: "127.0.0.1", Port: 9, SSRC: "0200000001"},
	} {
		if _, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, playbackChannel, offer); !errors.Is(err, sipd.ErrBadOffer) {
			t.Errorf("%+v: %v, want ErrBadOffer", offer, err)
		}
	}
}

// infoAsync runs Info in the background; wait returns its outcome.
func infoAsync(ctx context.Context, s *sipd.Server, d sipd.Dialog, req mansrtsp.Request) (wait func() (sipd.Dialog, error)) {
	type outcome struct {
		d   sipd.Dialog
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		d, err := s.Info(ctx, d, req)
		done <- outcome{d, err}
	}()
	return func() (sipd.Dialog, error) { o := <-done; return o.d, o.err }
}

// TestInfoCSeqRises: each INFO goes in the dialog (its Call-ID, both tags, to the
// device's Contact) with Content-Type Application/MANSRTSP, a CSeq above every CSeq the
// dialog used, and the MANSRTSP body numbered with it; Info returns the dialog with that
// CSeq. An INFO, and the BYE after it, sent from a copy of the dialog older than the
// last INFO still go above it, and a dialog the registrar does not hold (made before a
// restart) goes on from its own CSeq.
func TestInfoCSeqRises(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	u := newRawUAS(t, s, devID)
	start, end := recordingSpan()
	inv, d := invitedRecording(t, s, u, sdp.Session{Name: sdp.NamePlayback, Addr: "127.0.0.1", Port: 30000, SSRC: "1200000003", Start: start, End: end})
	if d.CSeq != 1 {
		t.Fatalf("dialog CSeq %d after the INVITE, want 1", d.CSeq)
	}

	steps := []struct {
		from     sipd.Dialog // the copy of the dialog Info is given
		req      mansrtsp.Request
		wantCSeq uint32
		wantBody string
	}{
		{d, mansrtsp.PlayScale(0, 2), 2, "PLAY RTSP/1.0\r\nCSeq: 2\r\nScale: 2.0\r\n"},
		{d, mansrtsp.PauseNow(0), 3, "PAUSE RTSP/1.0\r\nCSeq: 3\r\nPauseTime: now\r\n"}, // the old copy: still above
		{d, mansrtsp.PlaySeek(0, 90*time.Second), 4, "PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=90-\r\n"},
	}
	latest := d
	for _, st := range steps {
		wait := infoAsync(testCtx(t), s, st.from, st.req)
		info := u.next(sip.INFO)
		if info.CSeq().SeqNo != st.wantCSeq || string(info.Body()) != st.wantBody {
			t.Errorf("INFO CSeq %d body %q, want %d %q", info.CSeq().SeqNo, info.Body(), st.wantCSeq, st.wantBody)
		}
		if ct := info.ContentType(); ct == nil || ct.Value() != "Application/MANSRTSP" {
			t.Errorf("INFO Content-Type %v", ct)
		}
		fromTag, _ := info.From().Params.Get("tag")
		toTag, _ := info.To().Params.Get("tag")
		if info.CallID().Value() != inv.CallID().Value() || fromTag != d.LocalTag || toTag != "dev-tag" || info.Recipient.Host != "127.0.0.1" || info.Recipient.User != playbackChannel {
			t.Errorf("INFO outside the dialog: Call-ID %s tags %s/%s to %s", info.CallID().Value(), fromTag, toTag, info.Recipient.String())
		}
		u.answer(responseText(info, "200", "OK", "dev-tag", "Content-Type: Application/MANSRTSP\r\n", "RTSP/1.0 200 OK\r\nCSeq: "+strconv.Itoa(int(st.wantCSeq))+"\r\n"))
		got, err := wait()
		if err != nil {
			t.Fatalf("Info: %v", err)
		}
		if got.CSeq != st.wantCSeq {
			t.Errorf("Info returned CSeq %d, want %d", got.CSeq, st.wantCSeq)
		}
		latest = got
	}
	if latest.CSeq != 4 {
		t.Fatalf("latest CSeq %d", latest.CSeq)
	}

	// The BYE, from the copy the INVITE returned, goes above the last INFO.
	byeDone := make(chan error, 1)
	go func() { byeDone <- s.Bye(testCtx(t), d) }()
	bye := u.next(sip.BYE)
	if bye.CSeq().SeqNo != 5 {
		t.Errorf("BYE CSeq %d after INFOs up to 4, want 5", bye.CSeq().SeqNo)
	}
	u.answer(responseText(bye, "200", "OK", "dev-tag", "", ""))
	if err := <-byeDone; err != nil {
		t.Fatal(err)
	}

	// A dialog from before a restart: the registrar does not hold it, its CSeq rules.
	restored := latest
	restored.CallID, restored.CSeq = "restored-call", 41
	wait := infoAsync(testCtx(t), s, restored, mansrtsp.PlayResume(0))
	info := u.next(sip.INFO)
	u.answer(responseText(info, "200", "OK", "dev-tag", "", ""))
	if got, err := wait(); err != nil || got.CSeq != 42 || info.CSeq().SeqNo != 42 {
		t.Errorf("INFO of a restored dialog: CSeq %d (sent %d), %v; want 42", got.CSeq, info.CSeq().SeqNo, err)
	}
}

// TestInfoRefusals: what a device may answer to an INFO and what Info makes of it.
func TestInfoRefusals(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	u := newRawUAS(t, s, devID)
	start, end := recordingSpan()
	_, d := invitedRecording(t, s, u, sdp.Session{Name: sdp.NamePlayback, Addr: "127.0.0.1", Port: 30000, SSRC: "1200000004", Start: start, End: end})
	for _, tc := range []struct {
		name, code, reason, body string
		wantMethod               string
		wantCode                 int
	}{
		{"the dialog is gone", "481", "Call/Transaction Does Not Exist", "", "INFO", 481},
		{"a status that refuses", "200", "OK", "RTSP/1.0 457 Invalid Range\r\nCSeq: 9\r\n", "PLAY", 457},
		{"an empty 200", "200", "OK", "", "", 0},
		{"a 200 with a body that is no status", "200", "OK", "whatever", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait := infoAsync(testCtx(t), s, d, mansrtsp.PlaySeek(0, time.Hour))
			info := u.next(sip.INFO)
			u.answer(responseText(info, tc.code, tc.reason, "dev-tag", "", tc.body))
			got, err := wait()
			if got.CSeq != info.CSeq().SeqNo {
				t.Errorf("Info returned CSeq %d, the INFO used %d", got.CSeq, info.CSeq().SeqNo)
			}
			var de *sipd.DialogError
			switch {
			case tc.wantCode == 0 && err != nil:
				t.Errorf("Info: %v, want success", err)
			case tc.wantCode != 0 && (!errors.As(err, &de) || de.Code != tc.wantCode || de.Method != tc.wantMethod):
				t.Errorf("Info: %v, want a %s %d DialogError", err, tc.wantMethod, tc.wantCode)
			}
		})
	}
}

// mediaStatusText is a MESSAGE with a MediaStatus 121 Notify from device id about
// channel, in the dialog of callID with the given tags.
func mediaStatusText(t *testing.T, id, channel, callID, fromTag, toTag string, notifyType int) string {
	t.Helper()
	body, err := manscdp.EncodeMediaStatusNotify(7, channel, "UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	if notifyType != manscdp.NotifyTypeEndOfFile {
		body = []byte(strings.Replace(string(body), "<NotifyType>121<", "<NotifyType>"+strconv.Itoa(notifyType)+"<", 1))
	}
	to := "<sip:34020000002000000001@3402000000>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	return "MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKms" + callID + "\r\n" +
		"From: <sip:" + id + "@3402000000>;tag=" + fromTag + "\r\n" +
		"To: " + to + "\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: 20 MESSAGE\r\n" +
		"Content-Type: Application/MANSCDP+xml\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
}

// sendFrom sends text to s from conn and returns the status code of the answer.
func sendFrom(t *testing.T, s *sipd.Server, conn net.PacketConn, text string) int {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", s.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteTo([]byte(text), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer to the MESSAGE: %v", err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if res, ok := m.(*sip.Response); err == nil && ok && res.CSeq().MethodName == sip.MESSAGE {
			return res.StatusCode
		}
	}
}

// TestMediaStatusEndsPlayback: a MediaStatus 121 from the device, in the dialog (its
// Call-ID and tags) or outside any dialog naming the channel, is answered 200, marks the
// playback completed (also once the device has hung up) and signals the device. From
// anyone else (another registered device, the device's ID from another address) or
// about anything else (another NotifyType, a live video dialog, two playbacks of the
// channel that cannot be told apart) it completes nothing.
func TestMediaStatusEndsPlayback(t *testing.T) {
	const otherID = "34020000001320000009"
	start, end := recordingSpan()
	playback := sdp.Session{Name: sdp.NamePlayback, Addr: "127.0.0.1", Port: 30000, SSRC: "1200000005", Start: start, End: end}
	for _, tc := range []struct {
		name string
		// second, when set, makes a second dialog of the channel beside the first.
		second    *sdp.Session
		first     sdp.Session
		send      func(d sipd.Dialog) (from, text string)
		wantCode  int
		completed bool
	}{
		{"in the dialog", nil, playback, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 121)
		}, 200, true},
		{"outside any dialog, naming the channel", nil, playback, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, "other-call-id", "x", "", 121)
		}, 200, true},
		{"a download", nil, sdp.Session{Name: sdp.NameDownload, Addr: "127.0.0.1", Port: 30000, SSRC: "1200000006", Start: start, End: end, DownloadSpeed: 4}, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 121)
		}, 200, true},
		{"another NotifyType", nil, playback, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 122)
		}, 200, false},
		{"another registered device with the dialog's Call-ID and tags", nil, playback, func(d sipd.Dialog) (string, string) {
			return "other", mediaStatusText(t, otherID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 121)
		}, 200, false},
		{"the device's ID from another address", nil, playback, func(d sipd.Dialog) (string, string) {
			return "stranger", mediaStatusText(t, devID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 121)
		}, 404, false},
		{"a live video dialog", nil, sdp.Session{Addr: "127.0.0.1", Port: 30000, SSRC: "0200000005"}, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, d.CallID, "dev-tag", d.LocalTag, 121)
		}, 200, false},
		{"two playbacks of the channel, outside any dialog", &playback, playback, func(d sipd.Dialog) (string, string) {
			return "device", mediaStatusText(t, devID, playbackChannel, "other-call-id", "x", "", 121)
		}, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := sipdtest.NewChanges()
			s := sipdtest.StartT(t, sipd.Config{Notifier: changes}, sipdtest.NewStore(nil))
			u := newRawUAS(t, s, devID)
			_, d := invitedRecording(t, s, u, tc.first)
			if tc.second != nil {
				invitedRecording(t, s, u, *tc.second)
			}
			other := seededPeer(t, s, otherID, "127.0.0.2")
			stranger, err := net.ListenPacket("udp", "127.0.0.3:0")
			if err != nil {
				t.Fatal(err)
			}
			defer stranger.Close()
			before := changes.Count(devID)
			who, text := tc.send(d)
			conn := map[string]net.PacketConn{"device": u.conn, "other": other, "stranger": stranger}[who]
			if code := sendFrom(t, s, conn, text); code != tc.wantCode {
				t.Errorf("MediaStatus answered %d, want %d", code, tc.wantCode)
			}
			if got := s.DialogCompleted(d.CallID); got != tc.completed {
				t.Fatalf("DialogCompleted %v, want %v", got, tc.completed)
			}
			if notified := changes.Count(devID) > before; notified != tc.completed {
				t.Errorf("device signalled: %v, want %v", notified, tc.completed)
			}
			if !tc.completed {
				return
			}
			// The device hangs up after the end: the dialog is gone, the end remembered.
			bye := "BYE sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
				"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKbye1\r\n" +
				"From: <sip:" + playbackChannel + "@3402000000>;tag=dev-tag\r\n" +
				"To: <sip:34020000002000000001@3402000000>;tag=" + d.LocalTag + "\r\n" +
				"Call-ID: " + d.CallID + "\r\nCSeq: 30 BYE\r\nContent-Length: 0\r\n\r\n"
			if _, err := u.conn.WriteTo([]byte(bye), u.srv); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 5*time.Second, "the device's BYE taken", func() error {
				if s.DialogLive(d.CallID) {
					return errors.New("dialog still live")
				}
				return nil
			})
			if !s.DialogCompleted(d.CallID) {
				t.Error("the end of the recording forgotten after the device's BYE")
			}
		})
	}
}

// seededPeer is a UDP socket on ip registered (seeded) as device id.
func seededPeer(t *testing.T, s *sipd.Server, id, ip string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: id, Transport: "UDP", RemoteAddr: c.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	return c
}

// TestPlaybackWithCamsim plays a camsim recording of a few seconds through the
// registrar: the device sends media with the history SSRC, a PAUSE INFO stops it and a
// PLAY resumes it, the device's MediaStatus at the end completes the dialog and
// signals the device, and the BYE, above the INFOs' CSeqs, ends it on the device too.
func TestPlaybackWithCamsim(t *testing.T) {
	store := sipdtest.NewStore(nil)
	changes := sipdtest.NewChanges()
	s := sipdtest.StartT(t, sipd.Config{Notifier: changes}, store)
	store.SetPassword(devID, devPW)
	dev, err := sim.NewDevice(sim.Config{ID: devID, Password: devPW, Server: sipdtest.Addr(s, "udp"), Transport: "udp", LocalIP: "127.0.0.1",
		Records: sim.RecordConfig{Span: 24 * time.Hour, Segment: time.Hour}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if _, err := dev.Register(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	changes.Wait(t, devID)
	recv := listenMedia(t, 1200000007, false)
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Second).Unix()
	d, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", sdp.Session{Name: sdp.NamePlayback, Addr: "127.0.0.1", Port: recv.Port(), SSRC: "1200000007", Start: start, End: start + 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.WaitPackets(testCtx(t), 5); err != nil {
		t.Fatal(err)
	}
	if d, err = s.Info(testCtx(t), d, mansrtsp.PauseNow(0)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // packets in flight
	paused := recv.Packets()
	time.Sleep(500 * time.Millisecond)
	if n := recv.Packets(); n != paused {
		t.Errorf("%d packets while paused", n-paused)
	}
	if s.DialogCompleted(d.CallID) {
		t.Fatal("completed while paused")
	}
	if d, err = s.Info(testCtx(t), d, mansrtsp.PlayResume(0)); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the end of the recording", func() error {
		if !s.DialogCompleted(d.CallID) {
			return errors.New("not completed")
		}
		return nil
	})
	if recv.Packets() <= paused {
		t.Error("no packets after PLAY")
	}
	if changes.Count(devID) < 2 {
		t.Error("the end of the recording signalled nothing")
	}
	if d.CSeq != 3 {
		t.Errorf("dialog CSeq %d after two INFOs, want 3", d.CSeq)
	}
	if err := s.Bye(testCtx(t), d); err != nil {
		t.Fatalf("BYE after the INFOs: %v", err)
	}
	if dev.Streams() != 0 {
		t.Errorf("device still in %d calls", dev.Streams())
	}
}
