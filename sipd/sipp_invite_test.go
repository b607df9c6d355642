package sipd_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestSippInvite runs sipp as a device answering live video INVITEs (UAS scenarios of
// sipd/testdata/sipp) against Server.Invite and Server.Bye over UDP; sipp exits 0 only
// when the exchange went as its scenario says, offer checks included.
func TestSippInvite(t *testing.T) {
	sipp, dir := sippAndScenarios(t)
	for _, tc := range []struct {
		file string
		run  func(t *testing.T, s *sipd.Server)
	}{
		{"invite-uas.xml", func(t *testing.T, s *sipd.Server) {
			dlg, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: 30000, SSRC: "0200000001"})
			if err != nil {
				t.Fatal(err)
			}
			if dlg.Answer.SSRC != "0200000001" || dlg.Answer.Direction != "sendonly" {
				t.Errorf("answer %+v", dlg.Answer)
			}
			if err := s.Bye(testCtx(t), dlg); err != nil {
				t.Fatal(err)
			}
		}},
		{"invite-busy.xml", func(t *testing.T, s *sipd.Server) {
			_, err := s.Invite(testCtx(t), sipd.DeviceRef{ID: devID}, "", sdp.Session{Addr: "127.0.0.1", Port: 30000, SSRC: "0200000001"})
			var de *sipd.DialogError
			if !errors.As(err, &de) || de.Code != 486 {
				t.Fatalf("got %v, want the device's 486", err)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			port := freeUDPPort(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			work := t.TempDir()
			cmd := exec.CommandContext(ctx, sipp, "-sf", filepath.Join(dir, tc.file),
				"-i", "127.0.0.1", "-p", port, "-t", "u1", "-m", "1",
				"-nostdin", "-timeout", "20s", "-timeout_error", "-trace_err")
			cmd.Dir = work
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
			now := time.Now()
			s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: "127.0.0.1:" + port, RegisteredAt: now, ExpiresAt: now.Add(time.Hour), Expires: time.Hour}})
			// sipp needs a moment to bind; the INVITE's retransmissions cover it.
			tc.run(t, s)
			if err := cmd.Wait(); err != nil {
				logs, _ := filepath.Glob(filepath.Join(work, "*errors.log"))
				for _, l := range logs {
					b, _ := os.ReadFile(l)
					t.Logf("%s:\n%s", filepath.Base(l), b)
				}
				t.Fatalf("sipp %s: %v", tc.file, err)
			}
		})
	}
}

// sippAndScenarios returns the sipp binary and the scenario directory. Without sipp the
// test is skipped, except under CI, which must provide it.
func sippAndScenarios(t *testing.T) (string, string) {
	t.Helper()
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp not installed (Debian package sip-tester); CI must provide it")
		}
		t.Skip("sipp not installed (Debian package sip-tester)")
	}
	dir, err := filepath.Abs("testdata/sipp")
	if err != nil {
		t.Fatal(err)
	}
	return sipp, dir
}

// freeUDPPort returns a port that was free on 127.0.0.1 a moment ago.
func freeUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	return port
}
