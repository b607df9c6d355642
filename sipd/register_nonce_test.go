package sipd

import (
	"net/netip"
	"testing"
	"time"
)

// testDeviceID is the device the nonces are minted for.
const testDeviceID = "34020000001320000001"

func TestNonceMinter(t *testing.T) {
	m := newNonceMinter([]byte("k"), time.Minute)
	other := newNonceMinter([]byte("other key"), time.Minute)
	now := time.Now()
	to := source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5060")}
	n := string(m.mint(nil, testDeviceID, to, now))
	cases := []struct {
		name  string
		check func() nonceStatus
		want  nonceStatus
	}{
		{"valid", func() nonceStatus { _, s := m.check(n, testDeviceID, now); return s }, nonceValid},
		{"replica with same key", func() nonceStatus {
			_, s := newNonceMinter([]byte("k"), time.Minute).check(n, testDeviceID, now)
			return s
		}, nonceValid},
		{"other key", func() nonceStatus { _, s := other.check(n, testDeviceID, now); return s }, nonceInvalid},
		{"other device", func() nonceStatus { _, s := m.check(n, "x", now); return s }, nonceInvalid},
		{"expired", func() nonceStatus { _, s := m.check(n, testDeviceID, now.Add(2*time.Minute)); return s }, nonceStale},
		{"from the future", func() nonceStatus { _, s := m.check(n, testDeviceID, now.Add(-time.Minute)); return s }, nonceInvalid},
		{"tampered", func() nonceStatus {
			b := []byte(n)
			b[3] ^= 1
			_, s := m.check(string(b), testDeviceID, now)
			return s
		}, nonceInvalid},
		{"source tag rewritten", func() nonceStatus {
			b := []byte(n)
			b[17] ^= 1 // a hex digit of the source tag: the MAC covers it
			_, s := m.check(string(b), testDeviceID, now)
			return s
		}, nonceInvalid},
	}
	for _, c := range cases {
		if got := c.check(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	distinct := false
	for range 4 {
		distinct = distinct || string(m.mint(nil, testDeviceID, to, now)) != n
	}
	if !distinct {
		t.Error("every nonce of one millisecond is the same")
	}
}

// TestNonceSentTo: a nonce says where its challenge went. Only the same transport,
// address and port match, with the key of the registrar (or replica) that minted it.
func TestNonceSentTo(t *testing.T) {
	m := newNonceMinter([]byte("k"), time.Minute)
	now := time.Now()
	to := source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5060")}
	c, status := m.check(string(m.mint(nil, testDeviceID, to, now)), testDeviceID, now)
	if status != nonceValid {
		t.Fatalf("status %v", status)
	}
	for _, tc := range []struct {
		name string
		src  source
		m    *nonceMinter
		want bool
	}{
		{"where it was sent", to, m, true},
		{"replica with the same key", to, newNonceMinter([]byte("k"), time.Minute), true},
		{"another port of that address", source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5061")}, m, false},
		{"another address", source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.2:5060")}, m, false},
		{"another transport", source{transport: "TCP", addr: to.addr}, m, false},
		{"another key", to, newNonceMinter([]byte("other"), time.Minute), false},
	} {
		if got := tc.m.sentTo(c, tc.src); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
