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
	if ssrc, err := b.claim("uid", "", "hik", false); err != nil || len(ssrc) != 10 || ssrc[:6] != "000000" {
		t.Errorf("claim with a short realm: %q, %v", ssrc, err)
	}
}

// TestHistorySSRC: a playback's generated SSRC starts with 1, a live one with 0, and the
// same number may serve one of each.
func TestHistorySSRC(t *testing.T) {
	b := newSSRCBook()
	live, err := b.claim("live", "", "3402000000", false)
	if err != nil || live[:6] != "020000" {
		t.Fatalf("live ssrc %q, %v", live, err)
	}
	history, err := b.claim("playback", "", "3402000000", true)
	if err != nil || history[:6] != "120000" {
		t.Fatalf("playback ssrc %q, %v", history, err)
	}
	if again, _ := b.claim("playback", "", "3402000000", true); again != history {
		t.Errorf("a playback invited again got %q, want its %q", again, history)
	}
	if moved, _ := b.claim("live", "", "3402000000", true); moved[:1] != "1" || moved == history {
		t.Errorf("claimed as history: %q (the other playback holds %q)", moved, history)
	}
}
