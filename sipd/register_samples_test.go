package sipd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// TestSampleFlows replays the captured registrations: the unauthenticated REGISTER as
// captured, then the authenticated one with our nonce in place of the capture's.
func TestSampleFlows(t *testing.T) {
	flows := []struct {
		name, first, auth, transport string
		realm, id                    string
		creds                        sipd.Credentials
		cfg                          sipd.Config
		wantCode                     int
	}{
		{name: "hikvision admin user, opaque, no qop", first: "01-hikvision-udp-register.sip", auth: "03-hikvision-udp-register-auth-opaque.sip",
			transport: "udp", realm: "hik", id: "130909113319427420", creds: sipd.Credentials{Username: "admin", Password: "12345"}, wantCode: 200},
		{name: "pjsip qop", first: "05-pjsip-udp-register.sip", auth: "07-pjsip-udp-register-auth-qop.sip",
			transport: "udp", realm: "192.168.0.201", id: "1018", creds: sipd.Credentials{Password: "1234"}, wantCode: 200},
		{name: "pjsip tcp outbound lowercase md5, 30s asked", first: "09-pjsip-tcp-register-outbound.sip", auth: "12-pjsip-tcp-register-auth-md5.sip",
			transport: "tcp", realm: "32100045", id: "32100045", creds: sipd.Credentials{Password: "32100045"}, wantCode: 423},
		{name: "pjsip tcp outbound lowercase md5, 30s allowed", first: "09-pjsip-tcp-register-outbound.sip", auth: "12-pjsip-tcp-register-auth-md5.sip",
			transport: "tcp", realm: "32100045", id: "32100045", creds: sipd.Credentials{Password: "32100045"}, cfg: sipd.Config{MinExpires: 30 * time.Second}, wantCode: 200},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			store.Set(f.id, f.creds)
			cfg := f.cfg
			cfg.Realm = f.realm
			s := sipdtest.StartT(t, cfg, store)
			p := dialRaw(t, s, f.transport)
			res := p.exchange(readSample(t, f.first))
			if res.StatusCode != 401 {
				t.Fatalf("first REGISTER: %d %s", res.StatusCode, res.Reason)
			}
			via := res.Via()
			if rport, _ := via.Params.Get("rport"); rport != p.localPort() {
				t.Errorf("rport=%q, want %s", rport, p.localPort())
			}
			if rcv, _ := via.Params.Get("received"); rcv != "127.0.0.1" {
				t.Errorf("received=%q", rcv)
			}
			res = p.exchange(reauth(t, readSample(t, f.auth), challengeNonce(t, res), f.creds.Password))
			if res.StatusCode != f.wantCode {
				t.Fatalf("authenticated REGISTER: %d %s, want %d", res.StatusCode, res.Reason, f.wantCode)
			}
			switch f.wantCode {
			case 423:
				if header(res, "Min-Expires") != "60" {
					t.Errorf("Min-Expires %q", header(res, "Min-Expires"))
				}
			case 200:
				b := s.Device(f.id).Binding
				if b == nil || b.Transport != strings.ToUpper(f.transport) {
					t.Fatalf("binding %+v", b)
				}
				if c := res.Contact(); c == nil || c.Address.User != f.id {
					t.Errorf("contact %v", res.Contact())
				}
			}
			// The same, with a wrong password, is refused.
			res = p.exchange(readSample(t, f.first))
			res = p.exchange(reauth(t, readSample(t, f.auth), challengeNonce(t, res), f.creds.Password+"x"))
			if res.StatusCode != 403 {
				t.Errorf("wrong password: %d", res.StatusCode)
			}
		})
	}
}

// TestSampleRouteAccepted sends sample 10 (TCP, Route, ;alias, reg-id, +sip.instance).
func TestSampleRouteAccepted(t *testing.T) {
	store := sipdtest.NewStore(nil)
	store.Set("101", sipd.Credentials{Password: "pw"})
	s := sipdtest.StartT(t, sipd.Config{Realm: "32100045"}, store)
	p := dialRaw(t, s, "tcp")
	res := p.exchange(readSample(t, "10-pjsip-tcp-register-route.sip"))
	if res.StatusCode != 401 {
		t.Fatalf("%d %s", res.StatusCode, res.Reason)
	}
	if via := res.Via(); !via.Params.Has("alias") {
		t.Errorf("Via params lost: %v", via)
	}
}
