package sipd_test

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// FuzzHandle feeds arbitrary datagrams to the request handling of a running server:
// whatever arrives, the registrar must answer or drop it without panicking. The seed
// corpus is every capture plus testdata/fuzz/FuzzHandle, so plain `go test` runs them.
func FuzzHandle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.sip"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	store := sipdtest.NewStore(nil)
	for _, id := range []string{devID, "130909113319427420", "1018", "32100045", "101"} {
		store.SetPassword(id, devPW)
	}
	// handle recovers from panics and logs them at Error: the fuzzer watches that log,
	// so a panic still fails it.
	var errorLog testutil.LogBuffer
	const maxMessageSize = 8192
	s := sipdtest.StartT(f, sipd.Config{MaxMessageSize: maxMessageSize, Logger: slog.New(slog.NewTextHandler(&errorLog, &slog.HandlerOptions{Level: slog.LevelError}))}, store)
	src := sinkAddr(f)
	// A live binding, so that keepalives and responses reach their deeper paths.
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: src.String(), RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxMessageSize {
			return // the transport drops these before handle
		}
		errorLog.Reset()
		sipd.Handle(s, data, src)
		if log := errorLog.String(); strings.Contains(log, "panic") {
			t.Fatalf("handling %q: %s", data, log)
		}
	})
}

// FuzzResponse feeds arbitrary responses from a registered device to the client side of
// the registrar while it waits for them: an INVITE transaction, an abandoned INVITE (a
// late 200 is ACKed and BYEd), a confirmed dialog (a retransmitted 200 is ACKed again).
// Whatever the device sends, nothing panics, and a 2xx that makes a dialog makes one
// within the bounds a Stream's status can hold. The seeds carry the branch and Call-IDs
// the harness waits with, so mutations reach those paths.
func FuzzResponse(f *testing.F) {
	const branch, callID, lateCallID, liveCallID = "z9hG4bKfuzz", "fuzz-call", "fuzz-late", "fuzz-live"
	answer := "v=0\r\no=d 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\na=sendonly\r\ny=0200000001\r\n"
	for _, seed := range []struct{ callID, toTag, headers, body string }{
		{callID, ";tag=dev", "Contact: <sip:d@127.0.0.1:5060>\r\nContent-Type: application/sdp\r\n", answer},
		{callID, "", "Content-Type: application/sdp\r\n", answer},
		{lateCallID, ";tag=late", "", answer},
		{liveCallID, ";tag=live", "", answer},
	} {
		f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch + "\r\nFrom: <sip:p@r>;tag=me\r\nTo: <sip:d@r>" + seed.toTag +
			"\r\nCall-ID: " + seed.callID + "\r\nCSeq: 1 INVITE\r\n" + seed.headers + "Content-Length: " + strconv.Itoa(len(seed.body)) + "\r\n\r\n" + seed.body))
	}
	f.Add([]byte("SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch + "\r\nFrom: <sip:p@r>;tag=me\r\nCall-ID: " + callID + "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 487 Request Terminated\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch + "\r\nFrom: <sip:p@r>;tag=me\r\nTo: <sip:d@r>;tag=x\r\nCall-ID: " + callID + "\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"))

	var errorLog testutil.LogBuffer
	s := sipdtest.StartT(f, sipd.Config{Logger: slog.New(slog.NewTextHandler(&errorLog, &slog.HandlerOptions{Level: slog.LevelError}))}, sipdtest.NewStore(nil))
	dev, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { dev.Close() })
	go answerByes(dev) // the BYEs of late and unusable dialogs end at once
	src := dev.LocalAddr().(*net.UDPAddr).AddrPort()
	d := sipd.Dialog{DeviceID: devID, ChannelID: devID, CallID: callID, LocalTag: "me", CSeq: 1, Transport: "UDP", RemoteAddr: src.String()}
	f.Fuzz(func(t *testing.T, data []byte) {
		errorLog.Reset()
		responses, end, err := sipd.AwaitResponses(s, sip.INVITE, branch, src)
		if err != nil {
			t.Skip("transaction table full")
		}
		defer end()
		late := d
		late.CallID = lateCallID
		sipd.AbandonInvite(s, late, src, time.Now())
		live := d
		live.CallID = liveCallID
		sipd.AddDialog(s, live, []byte("ACK"), src)
		defer sipd.RemoveDialog(s, liveCallID)

		sipd.Handle(s, data, src)
		if log := errorLog.String(); strings.Contains(log, "panic") {
			t.Fatalf("handling %q: %s", data, log)
		}
		select {
		case res := <-responses:
			if res.StatusCode < 200 || res.StatusCode >= 300 {
				return
			}
			made, err := sipd.DialogFromAnswer(d, res)
			if err != nil {
				return
			}
			if len(made.RemoteTag) > sipd.MaxRemoteTagLen || len(made.RemoteTarget) > sipd.MaxRemoteTargetLen {
				t.Fatalf("dialog keeps a %d-byte tag and a %d-byte target", len(made.RemoteTag), len(made.RemoteTarget))
			}
		default:
		}
	})
}

// answerByes answers 200 to every BYE c receives, until c is closed.
func answerByes(c net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := sip.ParseMessage(buf[:n])
		if req, ok := m.(*sip.Request); err == nil && ok && req.Method == sip.BYE {
			_, _ = c.WriteTo([]byte(sip.NewResponseFromRequest(req, 200, "OK", nil).String()), from)
		}
	}
}
