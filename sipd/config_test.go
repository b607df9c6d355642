package sipd

import (
	"testing"
	"time"
)

func TestTCPIdleTimeoutDefault(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"GB default keepalive", Config{}, 3 * time.Minute},
		{"keepalive every 20s", Config{KeepaliveInterval: 20 * time.Second}, time.Minute},
		{"explicit", Config{KeepaliveInterval: 20 * time.Second, TCPIdleTimeout: time.Hour}, time.Hour},
	}
	for _, c := range cases {
		cfg, err := c.cfg.WithDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TCPIdleTimeout != c.want {
			t.Errorf("%s: TCPIdleTimeout %v, want %v", c.name, cfg.TCPIdleTimeout, c.want)
		}
	}
}
