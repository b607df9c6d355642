package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/internal/rtprecv"
	"github.com/gb28181/camera-operator/sipd/sdp"
)

// platform is the test's side of a live video dialog: a UDP SIP socket standing in for
// the registrar, sending INVITE, ACK and BYE to a device by hand and reading its answers.
type platform struct {
	t      *testing.T
	conn   net.PacketConn
	parser *sip.Parser
	device string // the device endpoint's ip:port
}

func newPlatform(t *testing.T) *platform {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &platform{t: t, conn: c, parser: sip.NewParser()}
}

func (p *platform) addr() string { return p.conn.LocalAddr().String() }

// send writes a message whose header lines end in LF; the body after the blank line is
// sent as is.
func (p *platform) send(msg string) {
	p.t.Helper()
	ra, _ := net.ResolveUDPAddr("udp", p.device)
	head, body, _ := strings.Cut(msg, "\n\n")
	if _, err := p.conn.WriteTo([]byte(strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"+body), ra); err != nil {
		p.t.Fatal(err)
	}
}

// read returns the next SIP message, failing after timeout.
func (p *platform) read(timeout time.Duration) sip.Message {
	p.t.Helper()
	buf := make([]byte, 65536)
	_ = p.conn.SetReadDeadline(time.Now().Add(timeout))
	n, _, err := p.conn.ReadFrom(buf)
	if err != nil {
		p.t.Fatalf("no SIP message: %v", err)
	}
	m, err := p.parser.ParseSIP(buf[:n])
	if err != nil {
		p.t.Fatalf("unparseable: %v\n%s", err, buf[:n])
	}
	return m
}

// finalResponse reads until a final response.
func (p *platform) finalResponse() *sip.Response {
	p.t.Helper()
	for {
		if res, ok := p.read(5 * time.Second).(*sip.Response); ok && res.StatusCode >= 200 {
			return res
		}
	}
}

type dialog struct {
	callID, toTag, channel string
	answer                 sdp.Session
}

// invite sends an INVITE for channel and ACKs its 200.
func (p *platform) invite(channel string, offer sdp.Session) dialog {
	p.t.Helper()
	callID := fmt.Sprintf("call-%d", time.Now().UnixNano())
	body := offer.Marshal()
	p.send(fmt.Sprintf(`INVITE sip:%[1]s@%[2]s SIP/2.0
Via: SIP/2.0/UDP %[3]s;rport;branch=z9hG4bK-inv-%[4]s
From: <sip:34020000002000000001@3402000000>;tag=plat
To: <sip:%[1]s@3402000000>
Call-ID: %[4]s
CSeq: 1 INVITE
Contact: <sip:34020000002000000001@%[3]s>
Subject: %[1]s:%[5]s,34020000002000000001:0
Max-Forwards: 70
Content-Type: APPLICATION/SDP
Content-Length: %[6]d

`, channel, p.device, p.addr(), callID, offer.SSRC, len(body)) + string(body))
	res := p.finalResponse()
	if res.StatusCode != 200 {
		p.t.Fatalf("INVITE answered %d %s", res.StatusCode, res.Reason)
	}
	answer, err := sdp.Parse(res.Body())
	if err != nil {
		p.t.Fatalf("answer SDP: %v\n%s", err, res.Body())
	}
	tag, _ := res.To().Params.Get("tag")
	d := dialog{callID: callID, toTag: tag, channel: channel, answer: answer}
	p.inDialog(d, "ACK", 1)
	return d
}

// inDialog sends a bodiless request within d.
func (p *platform) inDialog(d dialog, method string, cseq int) {
	p.t.Helper()
	p.send(fmt.Sprintf(`%[6]s sip:%[1]s@%[2]s SIP/2.0
Via: SIP/2.0/UDP %[3]s;rport;branch=z9hG4bK-%[6]s-%[4]s
From: <sip:34020000002000000001@3402000000>;tag=plat
To: <sip:%[1]s@3402000000>;tag=%[5]s
Call-ID: %[4]s
CSeq: %[7]d %[6]s
Max-Forwards: 70
Content-Length: 0

`, d.channel, p.device, p.addr(), d.callID, d.toTag, method, cseq))
}

func (p *platform) bye(d dialog) *sip.Response {
	p.t.Helper()
	p.inDialog(d, "BYE", 2)
	return p.finalResponse()
}

func newMediaDevice(t *testing.T, p *platform, cfg Config) *Device {
	cfg.Server, cfg.LocalIP, cfg.Logger = p.addr(), "127.0.0.1", slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.ID == "" {
		cfg.ID = "34020000001320000001"
	}
	d, err := NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	p.device = d.Endpoint().LocalAddr()
	return d
}

// TestInvitePlaysPS proves the device side of 点播: the INVITE is answered with the
// device's SDP, the ACK starts RTP with the offered SSRC carrying a Program Stream that
// ffprobe reads as H.264, over UDP and over TCP, and a BYE stops the packets.
func TestInvitePlaysPS(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
			p := newPlatform(t)
			d := newMediaDevice(t, p, Config{})
			const ssrc = "0200000001"
			recv, err := rtprecv.Listen(200000001, tcp)
			if err != nil {
				t.Fatal(err)
			}
			defer recv.Close()
			dlg := p.invite(d.ID(), sdp.Session{User: DefaultServerID, Addr: "127.0.0.1", Port: recv.Port(), TCP: tcp, Direction: "recvonly", SSRC: ssrc})
			if dlg.answer.Direction != "sendonly" || dlg.answer.SSRC != ssrc || dlg.answer.TCP != tcp {
				t.Errorf("answer %+v", dlg.answer)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Two seconds of the clip: two key frames.
			if err := recv.WaitPackets(ctx, 60); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			if res := p.bye(dlg); res.StatusCode != 200 {
				t.Fatalf("BYE answered %d", res.StatusCode)
			}
			// Packets already sent may still be arriving; then none for the rest of a second.
			time.Sleep(200 * time.Millisecond)
			stoppedAt := recv.Packets()
			time.Sleep(800 * time.Millisecond)
			if n := recv.Packets(); n != stoppedAt {
				t.Errorf("%d packets more than 200ms after the BYE", n-stoppedAt)
			}
			if recv.Others() != 0 {
				t.Errorf("%d packets with another SSRC", recv.Others())
			}
			if d.Streams() != 0 {
				t.Errorf("device still in %d calls", d.Streams())
			}
			rtprecv.RequireH264(t, recv.Stream())
		})
	}
}

// TestDeviceByeAfter: with ByeAfter the device ends the stream with a BYE in the dialog.
func TestDeviceByeAfter(t *testing.T) {
	p := newPlatform(t)
	d := newMediaDevice(t, p, Config{Media: MediaConfig{ByeAfter: 300 * time.Millisecond}})
	recv, err := rtprecv.Listen(200000002, false)
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	dlg := p.invite(d.ID(), sdp.Session{User: DefaultServerID, Addr: "127.0.0.1", Port: recv.Port(), Direction: "recvonly", SSRC: "0200000002"})
	m := p.read(5 * time.Second)
	bye, ok := m.(*sip.Request)
	if !ok || bye.Method != sip.BYE {
		t.Fatalf("got %v, want the device's BYE", m)
	}
	fromTag, _ := bye.From().Params.Get("tag")
	toTag, _ := bye.To().Params.Get("tag")
	if bye.CallID().Value() != dlg.callID || fromTag != dlg.toTag || toTag != "plat" {
		t.Errorf("BYE out of the dialog: Call-ID %s, tags %s/%s", bye.CallID().Value(), fromTag, toTag)
	}
	res := sip.NewResponseFromRequest(bye, 200, "OK", nil)
	ra, _ := net.ResolveUDPAddr("udp", p.device)
	_, _ = p.conn.WriteTo([]byte(res.String()), ra)
	if recv.Packets() == 0 {
		t.Error("no media before the BYE")
	}
}

// TestInviteRejects: bad offers and unknown channels get clear answers.
func TestInviteRejects(t *testing.T) {
	p := newPlatform(t)
	d := newMediaDevice(t, p, Config{})
	offer := sdp.Session{User: DefaultServerID, Addr: "127.0.0.1", Port: 9, Direction: "recvonly", SSRC: "0200000003"}
	for _, tc := range []struct {
		name, channel string
		body          []byte
		want          int
	}{
		{"unknown channel", "34020000001320009999", offer.Marshal(), 404},
		{"no media line", d.ID(), []byte("v=0\r\nc=IN IP4 127.0.0.1\r\n"), 400},
		{"no SSRC", d.ID(), sdp.Session{Addr: "127.0.0.1", Port: 9}.Marshal(), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.send(fmt.Sprintf("INVITE sip:%[1]s@%[2]s SIP/2.0\nVia: SIP/2.0/UDP %[3]s;branch=z9hG4bK-%[4]s\nFrom: <sip:a@b>;tag=x\nTo: <sip:%[1]s@b>\nCall-ID: %[4]s\nCSeq: 1 INVITE\nMax-Forwards: 70\nContent-Type: APPLICATION/SDP\nContent-Length: %[5]d\n\n",
				tc.channel, p.device, p.addr(), strings.ReplaceAll(tc.name, " ", "-"), len(tc.body)) + string(tc.body))
			if res := p.finalResponse(); res.StatusCode != tc.want {
				t.Errorf("answered %d %s, want %d", res.StatusCode, res.Reason, tc.want)
			}
		})
	}
}
