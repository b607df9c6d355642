package sipd_test

import (
	"strings"
	"testing"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestBadRequests(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{MaxMessageSize: 4096}, store)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			p := dialRaw(t, s, tr)
			port := p.localPort()
			base := registerText(port, "b0", 1, "3600", "")
			if tr == "tcp" {
				base = strings.Replace(base, "SIP/2.0/UDP", "SIP/2.0/TCP", 1)
			}
			cases := []struct {
				name, msg string
				code      int
				reason    string
			}{
				{"missing Call-ID", strings.Replace(base, "Call-ID: raw-"+devID+"@127.0.0.1\r\n", "", 1), 400, "Missing Call-ID"},
				{"CSeq method mismatch", strings.Replace(base, "CSeq: 1 REGISTER", "CSeq: 1 INVITE", 1), 400, "CSeq Method Mismatch"},
				{"malformed Authorization", strings.Replace(base, "Max-Forwards", "Authorization: Digest username\r\nMax-Forwards", 1), 400, "Malformed Authorization"},
				{"malformed Expires", strings.Replace(base, "Expires: 3600", "Expires: soon", 1), 401, ""},
				{"unknown method", strings.Replace(strings.Replace(base, "REGISTER sip", "SUBSCRIBE sip", 1), "1 REGISTER", "1 SUBSCRIBE", 1), 405, ""},
				{"options", strings.Replace(strings.Replace(base, "REGISTER sip", "OPTIONS sip", 1), "1 REGISTER", "1 OPTIONS", 1), 200, ""},
				{"message without body", strings.Replace(strings.Replace(base, "REGISTER sip", "MESSAGE sip", 1), "1 REGISTER", "1 MESSAGE", 1), 400, "Missing MANSCDP Body"},
			}
			for _, c := range cases {
				res := p.exchange(c.msg)
				if res.StatusCode != c.code || !strings.Contains(res.Reason, c.reason) {
					t.Errorf("%s: %d %q, want %d %q", c.name, res.StatusCode, res.Reason, c.code, c.reason)
				}
			}
			if tr == "tcp" {
				big := strings.Replace(base, "Content-Length: 0", "X-Pad: "+strings.Repeat("a", 2000)+"\r\nX-Pad: "+strings.Repeat("b", 2000)+"\r\nContent-Length: 0", 1)
				if res := p.exchange(big); res.StatusCode != 413 {
					t.Errorf("oversized: %d", res.StatusCode)
				}
			}
		})
	}
}
