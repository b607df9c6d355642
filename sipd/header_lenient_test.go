package sipd_test

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestLenientSyntax covers what sipgo keeps untrimmed and devices write loosely.
func TestLenientSyntax(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	p := dialRaw(t, s, "udp")
	port := p.localPort()
	res := p.exchange(registerText(port, "l0", 1, "3600", ""))
	n := challengeNonce(t, res)
	req := authRequest(t, s, port, "l1", n, "00000001", 2, "3600")
	req = strings.Replace(req, "CSeq: 2 REGISTER", "CSeq: 2  REGISTER", 1)
	req = strings.Replace(req, ";rport;", "; rport;", 1)
	req = strings.Replace(req, "@127.0.0.1:"+port+">\r\n", "@127.0.0.1:"+port+">; expires=120\r\n", 1)
	req = strings.Replace(req, "algorithm=MD5", "algorithm=md5", 1)
	req = strings.Replace(req, "Authorization: Digest ", "Authorization: Digest  ", 1)
	res = p.exchange(req)
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, res.Reason)
	}
	if header(res, "Expires") != "120" {
		t.Errorf("Contact expires param not honoured: Expires %q", header(res, "Expires"))
	}
	if rp, _ := res.Via().Params.Get("rport"); rp != port {
		t.Errorf("rport %q", rp)
	}
	if got := res.CSeq().MethodName; got != sip.REGISTER {
		t.Errorf("CSeq method %q", got)
	}
}
