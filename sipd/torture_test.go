package sipd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The torture suite: the categories of RFC 4475 adapted to this registrar's REGISTERs
// and MESSAGEs (testdata/torture, see its README), and, in torture_attacks_test.go,
// the attacks the registrar was found open to, each with the bound it must now keep.

const tortureDir = "testdata/torture"

// tortureMessage reads a torture message: CRLF line ends unless the name says bare-lf,
// and {len} replaced by the length of the body.
func tortureMessage(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filepath.Base(path), "bare-lf") {
		b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	}
	sep := []byte("\r\n\r\n")
	if !bytes.Contains(b, sep) {
		sep = []byte("\n\n")
	}
	start := len(b) - len(bytes.TrimLeft(b, "\r\n")) // past leading empty lines
	if i := bytes.Index(b[start:], sep); i >= 0 {
		body := b[start+i+len(sep):]
		b = bytes.Replace(b, []byte("{len}"), []byte(strconv.Itoa(len(body))), 1)
	}
	return b
}

// tortureServer runs a registrar with devID bound to the returned peer's address, so
// that MESSAGEs from the peer reach their decoding.
func tortureServer(t *testing.T) (*sipd.Server, *rawPeer) {
	t.Helper()
	return tortureServerWith(t, sipd.Config{})
}

// tortureServerWith is tortureServer with cfg.
func tortureServerWith(t *testing.T, cfg sipd.Config) (*sipd.Server, *rawPeer) {
	t.Helper()
	store := devStore()
	s := sipdtest.StartT(t, cfg, store)
	p := dialRaw(t, s, "udp")
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: p.udp.LocalAddr().String(), Contact: "sip:" + devID + "@" + p.udp.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour)}})
	return s, p
}

// TestTortureValid: every tortuous but valid message is understood: a REGISTER gets
// its challenge, a MESSAGE of the bound device its 200.
func TestTortureValid(t *testing.T) {
	s, p := tortureServer(t)
	files, _ := filepath.Glob(filepath.Join(tortureDir, "valid", "*.sip"))
	if len(files) < 10 {
		t.Fatalf("only %d valid torture messages", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			msg := tortureMessage(t, f)
			want := 401
			if bytes.HasPrefix(bytes.TrimLeft(msg, "\r\n"), []byte("MESSAGE")) {
				want = 200
			}
			p.send(string(msg))
			res := p.answerWithin(2 * time.Second)
			if res == nil {
				t.Fatalf("no answer, want %d", want)
			}
			if res.StatusCode != want {
				t.Fatalf("%d %s, want %d", res.StatusCode, res.Reason, want)
			}
		})
	}
	if s.Device(devID).Binding == nil {
		t.Error("binding lost")
	}
}

// TestTortureInvalid: every invalid message gets a 400 or is dropped, and the
// registrar keeps serving and keeps the device's binding.
func TestTortureInvalid(t *testing.T) {
	s, p := tortureServer(t)
	files, _ := filepath.Glob(filepath.Join(tortureDir, "invalid", "*.sip"))
	if len(files) < 10 {
		t.Fatalf("only %d invalid torture messages", len(files))
	}
	options := "OPTIONS sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKalive\r\n" +
		"From: <sip:" + devID + "@3402000000>;tag=alive\r\nTo: <sip:34020000002000000001@3402000000>\r\nCall-ID: alive@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p.send(string(tortureMessage(t, f)))
			res := p.answerWithin(300 * time.Millisecond)
			want := 400
			if strings.Contains(f, "version") {
				want = 505 // RFC 4475 §3.1.2.15
			}
			if res != nil && res.StatusCode != want {
				t.Errorf("%d %s, want %d or no answer", res.StatusCode, res.Reason, want)
			}
			if res != nil {
				t.Logf("%d %s", res.StatusCode, res.Reason)
			}
			if res := p.exchange(options); res.StatusCode != 200 {
				t.Fatalf("registrar stopped serving: OPTIONS got %d", res.StatusCode)
			}
			if s.Device(devID).Binding == nil {
				t.Fatal("binding lost")
			}
		})
	}
}
