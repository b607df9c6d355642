package sipd_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// panickingStore stands for a bug behind the registrar: every lookup panics.
type panickingStore struct{}

func (panickingStore) LookupCredentials(string) (sipd.Credentials, error) {
	panic("credential store bug")
}

// TestPanicWhileHandlingIsContained: a panic while handling one message drops that
// message with an error log, and the registrar keeps serving.
func TestPanicWhileHandlingIsContained(t *testing.T) {
	var logs testutil.LogBuffer
	s := sipdtest.StartT(t, sipd.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, panickingStore{})
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			p := dialRaw(t, s, tr)
			reg := registerText(p.localPort(), "panic", 1, "3600", "")
			options := strings.Replace(strings.Replace(reg, "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1)
			if tr == "tcp" {
				reg = strings.Replace(reg, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
				options = strings.Replace(options, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
			}
			p.send(reg)
			deadline := time.Now().Add(3 * time.Second)
			for !strings.Contains(logs.String(), "credential store bug") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(logs.String(), "panic while handling a message") {
				t.Fatalf("no error log of the panic: %s", logs.String())
			}
			if res := p.exchange(options); res.StatusCode != 200 {
				t.Errorf("after the panic, OPTIONS got %d", res.StatusCode)
			}
		})
	}
}
