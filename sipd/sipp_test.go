package sipd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestSipp runs the scenarios of sipd/testdata/sipp with the real sipp binary against a real
// server, over UDP and TCP. sipp exits 0 only when its call succeeded.
func TestSipp(t *testing.T) {
	sipp, dir := sippAndScenarios(t)
	scenarios := []struct {
		file, password string
		check          func(t *testing.T, s *sipd.Server)
	}{
		{"register.xml", devPW, func(t *testing.T, s *sipd.Server) {
			if s.Device(devID).Binding == nil {
				t.Error("not registered")
			}
		}},
		{"refresh.xml", devPW, func(t *testing.T, s *sipd.Server) {
			if s.Device(devID).Binding == nil {
				t.Error("not registered")
			}
		}},
		{"unregister.xml", devPW, func(t *testing.T, s *sipd.Server) {
			if st := s.Device(devID); st.Binding != nil || st.LastUnregistered.IsZero() {
				t.Errorf("not unregistered: %+v", st)
			}
		}},
		{"wrong-password.xml", "not-" + devPW, func(t *testing.T, s *sipd.Server) {
			if st := s.Device(devID); st.Binding != nil || st.AuthFailureReason == "" {
				t.Errorf("wrong password not recorded: %+v", st)
			}
		}},
		{"keepalive.xml", devPW, func(t *testing.T, s *sipd.Server) {
			if b := s.Device(devID).Binding; b == nil || b.LastKeepalive.IsZero() {
				t.Errorf("keepalive not recorded: %+v", b)
			}
		}},
	}
	for _, tr := range []struct{ name, flag string }{{"udp", "u1"}, {"tcp", "t1"}} {
		for _, sc := range scenarios {
			t.Run(tr.name+"/"+sc.file, func(t *testing.T) {
				store := devStore()
				s := sipdtest.StartT(t, sipd.Config{}, store)
				addr := s.UDPAddr()
				if tr.name == "tcp" {
					addr = s.TCPAddr()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				work := t.TempDir()
				cmd := exec.CommandContext(ctx, sipp, addr,
					"-sf", filepath.Join(dir, sc.file), "-inf", filepath.Join(dir, "devices.csv"),
					"-au", devID, "-ap", sc.password,
					"-i", "127.0.0.1", "-p", "0", "-t", tr.flag, "-m", "1",
					"-nostdin", "-timeout", "20s", "-timeout_error", "-trace_err", "-trace_stat")
				cmd.Dir = work
				out, err := cmd.CombinedOutput()
				if err != nil {
					logs, _ := filepath.Glob(filepath.Join(work, "*errors.log"))
					for _, l := range logs {
						b, _ := os.ReadFile(l)
						t.Logf("%s:\n%s", filepath.Base(l), b)
					}
					t.Fatalf("sipp %s over %s: %v\n%s", sc.file, tr.name, err, tail(out, 3000))
				}
				sc.check(t, s)
			})
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
