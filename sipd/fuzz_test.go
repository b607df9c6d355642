package sipd

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
	store := newMemStore()
	for _, id := range []string{devID, "130909113319427420", "1018", "32100045", "101"} {
		store.set(id, Credentials{Password: devPW})
	}
	// handle recovers from panics and logs them at Error: the fuzzer watches that log,
	// so a panic still fails it.
	var errorLog testutil.LogBuffer
	s := startServer(f, Config{MaxMessageSize: 8192, Logger: slog.New(slog.NewTextHandler(&errorLog, &slog.HandlerOptions{Level: slog.LevelError}))}, store)
	src := sinkSource(f)
	// A live binding, so that keepalives and responses reach their deeper paths.
	s.Seed([]Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: src.addr.String(), RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > s.cfg.MaxMessageSize {
			return // the transport drops these before handle
		}
		errorLog.Reset()
		s.handle(data, src)
		if log := errorLog.String(); strings.Contains(log, "panic") {
			t.Fatalf("handling %q: %s", data, log)
		}
	})
}

// FuzzAuthorization checks the Authorization parser alone.
func FuzzAuthorization(f *testing.F) {
	f.Add(`Digest username="admin", realm="hik", nonce="a8af", uri="sip:1@2", response="907d", algorithm=MD5, opaque="a8"`)
	f.Add(`Digest  username="1", realm="r",nonce="n",uri="u",response="r",qop=auth,nc=00000001,cnonce="c"`)
	f.Add(`Digest username="x`)
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseAuthorization(v)
		if err != nil {
			return
		}
		if a.username == "" || a.nonce == "" {
			t.Fatalf("accepted without username/nonce: %+v", a)
		}
		digestMatches(parseAlg(a.algorithm), &a, "pw", "REGISTER")
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
	s := startServer(f, Config{Logger: slog.New(slog.NewTextHandler(&errorLog, &slog.HandlerOptions{Level: slog.LevelError}))}, newMemStore())
	dev, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { dev.Close() })
	go answerByes(dev) // the BYEs of late and unusable dialogs end at once
	src := source{transport: "UDP", addr: dev.LocalAddr().(*net.UDPAddr).AddrPort()}
	d := Dialog{DeviceID: devID, ChannelID: devID, CallID: callID, LocalTag: "me", CSeq: 1, Transport: "UDP", RemoteAddr: src.addr.String()}
	f.Fuzz(func(t *testing.T, data []byte) {
		errorLog.Reset()
		tx, err := s.txs.add(txKey{branch: branch, method: sip.INVITE}, src)
		if err != nil {
			t.Skip("transaction table full")
		}
		defer s.txs.remove(tx)
		late := d
		late.CallID = lateCallID
		s.dialogs.abandon(late, src, time.Now())
		live := d
		live.CallID = liveCallID
		s.dialogs.add(&liveDialog{Dialog: live, ack: []byte("ACK"), dst: src})
		defer s.dialogs.remove(liveCallID)

		s.handle(data, src)
		if log := errorLog.String(); strings.Contains(log, "panic") {
			t.Fatalf("handling %q: %s", data, log)
		}
		select {
		case res := <-tx.responses:
			if res.StatusCode < 200 || res.StatusCode >= 300 {
				return
			}
			made, err := dialogFromAnswer(d, res)
			if err != nil {
				return
			}
			if len(made.RemoteTag) > maxRemoteTagLen || len(made.RemoteTarget) > maxRemoteTargetLen {
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
