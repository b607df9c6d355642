package sipd_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestRegisterOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*sipdtest.Store)
		cfg        sipd.Config
		password   string
		username   string
		expires    int
		wantCode   int
		wantReason string
		wantHeader map[string]string
	}{
		{name: "ok", password: devPW, expires: 3600, wantCode: 200, wantHeader: map[string]string{"Expires": "3600"}},
		{name: "default expires when none asked", password: devPW, expires: 0, wantCode: 200, wantHeader: map[string]string{"Expires": "3600"}},
		{name: "clamped to max", password: devPW, expires: 999999, wantCode: 200, wantHeader: map[string]string{"Expires": "86400"}},
		{name: "configured username", password: devPW, username: "admin", setup: func(m *sipdtest.Store) {
			m.Set(devID, sipd.Credentials{Username: "admin", Password: devPW})
		}, expires: 3600, wantCode: 200},
		{name: "username mismatch", password: devPW, username: "root", expires: 3600, wantCode: 403, wantReason: "Username Mismatch"},
		{name: "wrong password", password: "nope", expires: 3600, wantCode: 403, wantReason: "Wrong Password"},
		{name: "too brief after auth", password: devPW, expires: 30, wantCode: 423, wantHeader: map[string]string{"Min-Expires": "60"}},
		{name: "suspended", password: devPW, setup: func(m *sipdtest.Store) {
			m.Set(devID, sipd.Credentials{Password: devPW, Suspended: true})
		}, expires: 3600, wantCode: 403, wantReason: "Suspended"},
		{name: "unknown device", password: devPW, setup: func(m *sipdtest.Store) { m.Remove(devID) }, expires: 3600, wantCode: 404},
		{name: "no credentials", password: devPW, setup: func(m *sipdtest.Store) { m.SetNoCredentials(devID) }, expires: 3600, wantCode: 403, wantReason: "No Credentials"},
		{name: "store not ready", password: devPW, setup: func(m *sipdtest.Store) { m.SetReady(false) }, expires: 3600, wantCode: 503, wantHeader: map[string]string{"Retry-After": "5"}},
		{name: "no qop offered", cfg: sipd.Config{DisableQop: true}, password: devPW, expires: 3600, wantCode: 200},
	}
	for _, tr := range transports {
		for _, tc := range tests {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				store := devStore()
				if tc.setup != nil {
					tc.setup(store)
				}
				s := sipdtest.StartT(t, tc.cfg, store)
				d := device(t, s, tr, devID, tc.password)
				d.Username = tc.username
				r, err := d.RegisterExpires(testCtx(t), tc.expires)
				if err != nil {
					t.Fatal(err)
				}
				res := r.Final
				if res.StatusCode != tc.wantCode {
					t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, tc.wantCode)
				}
				if !strings.Contains(res.Reason, tc.wantReason) {
					t.Errorf("reason %q lacks %q", res.Reason, tc.wantReason)
				}
				for k, v := range tc.wantHeader {
					if got := header(res, k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				st := s.Device(devID)
				if (tc.wantCode == 200) != (st.Binding != nil) {
					t.Errorf("binding = %+v after %d", st.Binding, tc.wantCode)
				}
				if tc.wantCode == 200 {
					checkOK(t, res, st.Binding, tr)
				}
				if tc.wantReason == "Wrong Password" && st.AuthFailureReason == "" {
					t.Error("auth failure not recorded")
				}
			})
		}
	}
}

// gbDate and gbDateLayout are GB/T 28181's Date: local time, no zone, milliseconds.
var gbDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$`)

const gbDateLayout = "2006-01-02T15:04:05.000"

// checkOK checks the parts of a 200 OK devices rely on.
func checkOK(t *testing.T, res *sip.Response, b *sipd.Binding, transport string) {
	t.Helper()
	date := header(res, "Date")
	if !gbDate.MatchString(date) {
		t.Errorf("Date %q is not GB format", date)
	}
	if d, err := time.ParseInLocation(gbDateLayout, date, time.FixedZone("CST", 8*3600)); err != nil || time.Since(d).Abs() > time.Minute {
		t.Errorf("Date %q is not Beijing time now (%v)", date, err)
	}
	if tag, ok := res.To().Params.Get("tag"); !ok || tag == "" {
		t.Error("200 without To tag")
	}
	if header(res, "Server") == "" {
		t.Error("200 without sipd.Server header")
	}
	c := res.Contact()
	if c == nil {
		t.Fatal("200 without Contact")
	}
	if exp, _ := c.Params.Get("expires"); exp != header(res, "Expires") {
		t.Errorf("Contact expires=%q, Expires %q", exp, header(res, "Expires"))
	}
	if b.Transport != strings.ToUpper(transport) || !strings.HasPrefix(b.RemoteAddr, "127.0.0.1:") {
		t.Errorf("binding %+v", b)
	}
	if via := res.Via(); via != nil && via.Params.Has("rport") {
		if rcv, _ := via.Params.Get("received"); rcv != "127.0.0.1" {
			t.Errorf("Via received=%q", rcv)
		}
		if rp, _ := via.Params.Get("rport"); rp == "" {
			t.Error("Via rport not filled in")
		}
	}
}

var challengeRE = regexp.MustCompile(`^Digest realm="3402000000",nonce="[0-9a-f]{56}",algorithm=MD5,qop="auth",opaque="[0-9a-f]{32}"$`)

func TestChallengeIsStrictAndSpaceFree(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{}, store)
	for _, tr := range transports {
		d := device(t, s, tr, devID, "wrong")
		r, err := d.RegisterExpires(testCtx(t), 3600)
		if err != nil {
			t.Fatal(err)
		}
		if r.Challenge == nil {
			t.Fatalf("%s: no challenge, got %d", tr, r.Final.StatusCode)
		}
		if v := header(r.Challenge, "WWW-Authenticate"); !challengeRE.MatchString(v) {
			t.Errorf("%s: challenge %q", tr, v)
		}
	}
}

func TestRefreshAndUnregisterEvents(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			store := devStore()
			changes := sipdtest.NewChanges()
			s := sipdtest.StartT(t, sipd.Config{Notifier: changes}, store)
			d := device(t, s, tr, devID, devPW)
			ctx := testCtx(t)
			for i := range 2 { // a registration, then its refresh
				r, err := d.RegisterExpires(ctx, 600)
				if err != nil || r.Final.StatusCode != 200 {
					t.Fatalf("register %d: %v %v", i, r.Final, err)
				}
				if r.Challenge == nil {
					t.Error("refresh was not authenticated afresh")
				}
				changes.Wait(t, devID)
			}
			res, err := d.Unregister(ctx)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("unregister: %v %v", res, err)
			}
			changes.Wait(t, devID)
			st := s.Device(devID)
			if st.Binding != nil || st.LastUnregistered.IsZero() {
				t.Errorf("after unregister: %+v", st)
			}
		})
	}
}

func TestBruteForceLockout(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{MaxAuthFailures: 3}, store)
	d := device(t, s, "udp", devID, "guess")
	ctx := testCtx(t)
	for i := 0; i < 3; i++ {
		res, err := d.Register(ctx)
		if err != nil || res.StatusCode != 403 || !strings.Contains(res.Reason, "Wrong Password") {
			t.Fatalf("attempt %d: %v %v", i, res, err)
		}
	}
	d.Password = devPW
	res, err := d.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 403 || !strings.Contains(res.Reason, "Too Many Failures") {
		t.Fatalf("after lockout with right password: %d %s", res.StatusCode, res.Reason)
	}
}

// TestIPv6 registers and keeps alive over IPv6 loopback, UDP and TCP on one port.
func TestIPv6(t *testing.T) {
	store := devStore()
	s := sipdtest.StartT(t, sipd.Config{ListenAddr: "[::1]:0"}, store)
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			d := device(t, s, tr, devID, devPW)
			if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
				t.Fatalf("register over IPv6: %v %v", res, err)
			}
			b := s.Device(devID).Binding
			if b == nil || !strings.HasPrefix(b.RemoteAddr, "[::1]:") || !strings.EqualFold(b.Transport, tr) {
				t.Fatalf("binding = %+v, want a %s binding from [::1]", b, tr)
			}
			if res, err := d.Keepalive(testCtx(t)); err != nil || res.StatusCode != 200 {
				t.Fatalf("keepalive over IPv6: %v %v", res, err)
			}
		})
	}
}
