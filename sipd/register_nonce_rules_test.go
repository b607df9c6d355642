package sipd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestNonceRules(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{NonceReuseWindow: 50 * time.Millisecond}, store)
	p := dialRaw(t, s, "udp")
	port := p.localPort()
	fresh := func() string { return challengeNonce(t, p.exchange(registerText(port, "c0", 1, "3600", ""))) }
	stale := func(res *sip.Response) bool {
		return res.StatusCode == 401 && strings.HasSuffix(header(res, "WWW-Authenticate"), ",stale=true")
	}

	t.Run("qop nc must grow", func(t *testing.T) {
		n := fresh()
		if res := p.exchange(authRequest(t, s, port, "q1", n, "00000001", 2, "3600")); res.StatusCode != 200 {
			t.Fatalf("nc=1: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "q1", n, "00000001", 2, "3600")); res.StatusCode != 200 {
			t.Fatalf("retransmission: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "q2", n, "00000001", 3, "3600")); !stale(res) {
			t.Fatalf("repeated nc: %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
		}
		if res := p.exchange(authRequest(t, s, port, "q3", n, "00000002", 4, "3600")); res.StatusCode != 200 {
			t.Fatalf("nc=2: %d", res.StatusCode)
		}
	})
	t.Run("no-qop reuse window", func(t *testing.T) {
		n := fresh()
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); res.StatusCode != 200 {
			t.Fatalf("first use: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); res.StatusCode != 200 {
			t.Fatalf("retransmission inside window: %d", res.StatusCode)
		}
		if res := p.exchange(authRequest(t, s, port, "n2", n, "", 6, "3600")); !stale(res) {
			t.Fatalf("new request reusing the nonce: %d", res.StatusCode)
		}
		time.Sleep(80 * time.Millisecond)
		if res := p.exchange(authRequest(t, s, port, "n1", n, "", 5, "3600")); !stale(res) {
			t.Fatalf("retransmission past window: %d", res.StatusCode)
		}
	})
	t.Run("expired genuine nonce is stale", func(t *testing.T) {
		old := sipd.MintNonce(s, devID, "UDP", p.localAddr(), time.Now().Add(-10*time.Minute))
		if res := p.exchange(authRequest(t, s, port, "e1", old, "00000001", 8, "3600")); !stale(res) {
			t.Fatalf("expired: %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
		}
	})
	t.Run("nonce of another device or tampered", func(t *testing.T) {
		other := sipd.MintNonce(s, "34020000001320000099", "UDP", p.localAddr(), time.Now())
		for _, n := range []string{other, strings.Repeat("0", sipd.NonceLen), "short"} {
			res := p.exchange(authRequest(t, s, port, "t1", n, "00000001", 9, "3600"))
			if res.StatusCode != 401 || stale(res) {
				t.Errorf("nonce %q: %d %q", n, res.StatusCode, header(res, "WWW-Authenticate"))
			}
		}
	})
	t.Run("unauthenticated short expires gets 401 first", func(t *testing.T) {
		res := p.exchange(registerText(port, "s1", 10, "10", ""))
		if res.StatusCode != 401 {
			t.Fatalf("%d", res.StatusCode)
		}
		res = p.exchange(authRequest(t, s, port, "s2", challengeNonce(t, res), "00000001", 11, "10"))
		if res.StatusCode != 423 || header(res, "Min-Expires") != "60" {
			t.Fatalf("%d Min-Expires %q", res.StatusCode, header(res, "Min-Expires"))
		}
	})
	t.Run("contact star unregisters", func(t *testing.T) {
		n := fresh()
		req := strings.Replace(authRequest(t, s, port, "u1", n, "00000001", 12, "0"), "Contact: <sip:"+devID+"@127.0.0.1:"+port+">", "Contact: *", 1)
		if res := p.exchange(req); res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, res.Reason)
		}
		if s.Device(devID).Binding != nil {
			t.Error("still bound")
		}
	})
}
