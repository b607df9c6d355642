package sipd_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The answers a device (or someone else) may give to the registrar's INVITEs, over
// loopback sockets: malformed, from elsewhere, from an RFC 2543 stack, or none after a
// provisional one. Each test states what the registrar must do and fails without it.

// rawUAS is a device played with a bare UDP socket, registered (seeded) at its address,
// so a test writes its answers byte for byte.
type rawUAS struct {
	t    *testing.T
	conn net.PacketConn
	srv  net.Addr // where the registrar's requests came from
}

func newRawUAS(t *testing.T, s *sipd.Server, id string) *rawUAS {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: id, Transport: "UDP", RemoteAddr: c.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	return &rawUAS{t: t, conn: c}
}

// next returns the next request of method the registrar sends, skipping others
// (retransmissions of an earlier one).
func (u *rawUAS) next(method sip.RequestMethod) *sip.Request {
	u.t.Helper()
	buf := make([]byte, 65536)
	for {
		_ = u.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := u.conn.ReadFrom(buf)
		if err != nil {
			u.t.Fatalf("waiting for %s: %v", method, err)
		}
		m, err := sip.NewParser().ParseSIP(buf[:n])
		if err != nil {
			u.t.Fatalf("unparseable %q: %v", buf[:n], err)
		}
		if req, ok := m.(*sip.Request); ok && req.Method == method {
			u.srv = from
			return req
		}
	}
}

// answer sends text to the registrar from the device's socket.
func (u *rawUAS) answer(text string) {
	u.t.Helper()
	if _, err := u.conn.WriteTo([]byte(text), u.srv); err != nil {
		u.t.Fatal(err)
	}
}

// responseText writes a response to req: its Vias, From, Call-ID and CSeq; To with
// toTag unless it is "-" (no To at all) or "" (no tag); extra headers and body.
func responseText(req *sip.Request, code, reason, toTag, extra, body string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 " + code + " " + reason + "\r\n")
	for _, h := range req.GetHeaders("Via") {
		b.WriteString("Via: " + h.Value() + "\r\n")
	}
	b.WriteString("From: " + req.From().Value() + "\r\n")
	if toTag != "-" {
		to := "<" + req.To().Address.String() + ">"
		if toTag != "" {
			to += ";tag=" + toTag
		}
		b.WriteString("To: " + to + "\r\n")
	}
	b.WriteString("Call-ID: " + req.CallID().Value() + "\r\n")
	b.WriteString("CSeq: " + req.CSeq().Value() + "\r\n")
	b.WriteString(extra)
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	return b.String()
}

// answerSDP is a device's SDP answer as a simulator built to please WVP writes it:
// a=recvonly where sendonly belongs, and a 20-digit y=.
func answerSDP(port int) string {
	return "v=0\r\no=34020000001320000001 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=video " + strconv.Itoa(port) + " RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\ny=01234567890123456789\r\n"
}

// inviteAsync runs Invite in the background; wait returns its outcome.
func inviteAsync(ctx context.Context, s *sipd.Server, id string) (wait func() (sipd.Dialog, error)) {
	var d sipd.Dialog
	var err error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d, err = s.Invite(ctx, sipd.DeviceRef{ID: id}, "", sdp.Session{Addr: "127.0.0.1", Port: 9, SSRC: "0200000007"})
	}()
	return func() (sipd.Dialog, error) { wg.Wait(); return d, err }
}

// TestInviteAnswerWithoutToIsDropped: a final answer lacking To never reaches the INVITE
// (which once panicked the caller reading its tag); the INVITE goes on waiting, and the
// device's proper answer then makes the dialog.
func TestInviteAnswerWithoutToIsDropped(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	dev := newRawUAS(t, s, devID)
	wait := inviteAsync(testCtx(t), s, devID)
	inv := dev.next(sip.INVITE)
	dev.answer(responseText(inv, "100", "Trying", "-", "", ""))
	dev.answer(responseText(inv, "200", "OK", "-", "Content-Type: application/sdp\r\n", answerSDP(15060)))
	time.Sleep(100 * time.Millisecond)
	dev.answer(responseText(inv, "200", "OK", "good", "Content-Type: application/sdp\r\n", answerSDP(15060)))
	d, err := wait()
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if d.RemoteTag != "good" {
		t.Errorf("dialog made with remote tag %q, want the well-formed answer's", d.RemoteTag)
	}
}

// TestInviteAnswerFromElsewhereIsIgnored: a 200 to the INVITE from another address (who
// learnt the branch and Call-ID, say) is not the device's answer; the device's own is.
func TestInviteAnswerFromElsewhereIsIgnored(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	dev := newRawUAS(t, s, devID)
	wait := inviteAsync(testCtx(t), s, devID)
	inv := dev.next(sip.INVITE)
	dev.answer(responseText(inv, "100", "Trying", "", "", ""))

	forger, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, dev.srv.(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	if _, err := forger.Write([]byte(responseText(inv, "200", "OK", "forged", "Content-Type: application/sdp\r\n", answerSDP(6666)))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	dev.answer(responseText(inv, "200", "OK", "device", "Content-Type: application/sdp\r\n", answerSDP(15060)))
	d, err := wait()
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if d.RemoteTag != "device" || d.Answer.Port != 15060 {
		t.Errorf("dialog with tag %q and media port %d, want the device's (device, 15060)", d.RemoteTag, d.Answer.Port)
	}
}

// TestRFC2543AnswerMakesDialog: a 200 whose To has no tag (RFC 3261 §12.1.2: an RFC 2543
// peer, the remote tag is null), with a=recvonly and a 20-digit y= in its SDP, as a
// simulator built for WVP answers, makes a dialog; its ACK and BYE carry no To tag.
func TestRFC2543AnswerMakesDialog(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	dev := newRawUAS(t, s, devID)
	wait := inviteAsync(testCtx(t), s, devID)
	inv := dev.next(sip.INVITE)
	dev.answer(responseText(inv, "200", "OK", "", "Content-Type: application/sdp\r\nContact: <sip:"+devID+"@"+dev.conn.LocalAddr().String()+">\r\n", answerSDP(15060)))
	d, err := wait()
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if d.RemoteTag != "" || d.Answer.SSRC != "01234567890123456789" {
		t.Errorf("dialog remote tag %q, answer y= %q", d.RemoteTag, d.Answer.SSRC)
	}
	if ack := dev.next(sip.ACK); hasTag(ack.To()) {
		t.Errorf("ACK To %q carries a tag", ack.To().Value())
	}
	byeDone := make(chan error, 1)
	go func() { byeDone <- s.Bye(testCtx(t), d) }()
	bye := dev.next(sip.BYE)
	if hasTag(bye.To()) {
		t.Errorf("BYE To %q carries a tag", bye.To().Value())
	}
	dev.answer(responseText(bye, "200", "OK", "", "", ""))
	if err := <-byeDone; err != nil {
		t.Errorf("Bye: %v", err)
	}
}

func hasTag(h *sip.ToHeader) bool {
	_, ok := h.Params.Get("tag")
	return ok
}

// TestProceedingInviteIsCancelled: a device that answers 100 Trying and then nothing is
// sent a CANCEL when the caller gives up (RFC 3261 §9.1), and its 487 is acknowledged.
func TestProceedingInviteIsCancelled(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	dev := newRawUAS(t, s, devID)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	wait := inviteAsync(ctx, s, devID)
	inv := dev.next(sip.INVITE)
	dev.answer(responseText(inv, "100", "Trying", "", "", ""))
	if _, err := wait(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invite: %v, want the context's deadline", err)
	}
	c := dev.next(sip.CANCEL)
	invBranch, _ := inv.Via().Params.Get("branch")
	cBranch, _ := c.Via().Params.Get("branch")
	if c.CallID().Value() != inv.CallID().Value() || cBranch != invBranch || c.CSeq().SeqNo != inv.CSeq().SeqNo || c.Recipient.String() != inv.Recipient.String() {
		t.Errorf("CANCEL %q branch %s CSeq %d, want the INVITE's (%s, %d)", c.Recipient.String(), cBranch, c.CSeq().SeqNo, invBranch, inv.CSeq().SeqNo)
	}
	dev.answer(responseText(c, "200", "OK", "x", "", ""))
	dev.answer(responseText(inv, "487", "Request Terminated", "x", "", ""))
	ack := dev.next(sip.ACK)
	if ack.CallID().Value() != inv.CallID().Value() {
		t.Errorf("ACK of call %s, want the cancelled INVITE's", ack.CallID().Value())
	}
}

// TestInvitesPerDeviceBounded: a device that leaves INVITEs unanswered holds at most
// MaxInvitesPerDevice of them; another device's INVITE still goes out.
func TestInvitesPerDeviceBounded(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{MaxInvitesPerDevice: 2}, sipdtest.NewStore(nil))
	slow := newRawUAS(t, s, devID)
	other := "34020000001320000002"
	fine := newRawUAS(t, s, other)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	first, second := inviteAsync(ctx, s, devID), inviteAsync(ctx, s, devID)
	slow.next(sip.INVITE)
	slow.next(sip.INVITE)
	if _, err := s.Invite(ctx, sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: 9}); !errors.Is(err, sipd.ErrTooManyInvites) {
		t.Errorf("third INVITE to the same device: %v, want ErrTooManyInvites", err)
	}
	otherInvite := inviteAsync(ctx, s, other)
	fine.next(sip.INVITE)
	cancel()
	_, _ = first()
	_, _ = second()
	_, _ = otherInvite()
}

// TestDeviceReasonPhraseBounded: a 40 KB reason phrase in a refusal reaches the caller
// cut to a bound, so that it can go into a status condition.
func TestDeviceReasonPhraseBounded(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	dev := newRawUAS(t, s, devID)
	wait := inviteAsync(testCtx(t), s, devID)
	inv := dev.next(sip.INVITE)
	dev.answer(responseText(inv, "486", strings.Repeat("Busy ", 8000), "b", "", ""))
	_, err := wait()
	var de *sipd.DialogError
	if !errors.As(err, &de) || de.Code != 486 {
		t.Fatalf("Invite: %v, want a 486 DialogError", err)
	}
	if len(de.Reason) > sipd.MaxReasonLen {
		t.Errorf("reason phrase of %d bytes, bound %d", len(de.Reason), sipd.MaxReasonLen)
	}
}

// TestInviteOwnerChecked: the registrar invites only through a binding the asker owns.
func TestInviteOwnerChecked(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Owner: "camera-a", Transport: "UDP", RemoteAddr: c.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
	for _, owner := range []string{"camera-b", ""} {
		if _, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID, Owner: owner}, "", sdp.Session{Addr: "127.0.0.1", Port: 9}); !errors.Is(err, sipd.ErrNotOwner) {
			t.Errorf("INVITE as %q: %v, want ErrNotOwner", owner, err)
		}
		if _, err := s.QueryDeviceInfo(testCtx(t), sipd.DeviceRef{ID: devID, Owner: owner}); !errors.Is(err, sipd.ErrNotOwner) {
			t.Errorf("query as %q: %v, want ErrNotOwner", owner, err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := c.ReadFrom(make([]byte, 2048)); err == nil {
		t.Errorf("the device received %d bytes from requests on behalf of another owner", n)
	}
}
