package stream

import "testing"

func TestSSRCDomain(t *testing.T) {
	for realm, want := range map[string]string{
		"3402000000": "20000",
		"4401020049": "10200",
		"hik":        "00000",
		"340200000x": "00000",
		"34020000":   "00000",
	} {
		if got := ssrcDomain(realm); got != want {
			t.Errorf("ssrcDomain(%q) = %q, want %q", realm, got, want)
		}
	}
	b := newSSRCBook()
	if ssrc, err := b.claim("uid", "", "hik"); err != nil || len(ssrc) != 10 || ssrc[:6] != "000000" {
		t.Errorf("claim with a short realm: %q, %v", ssrc, err)
	}
}
