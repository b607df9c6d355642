package sipd_test

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestTCPKeepalivePing(t *testing.T) {
	s := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(nil))
	p := dialRaw(t, s, "tcp")
	p.send("\r\n\r\n")
	_ = p.tcp.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 2)
	if _, err := p.br.Read(b); err != nil || string(b) != "\r\n" {
		t.Fatalf("pong %q %v", b, err)
	}
}
