package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd/digestparam"
	"github.com/gb28181/camera-operator/sipd/gbid"
)

// The challenges and answers of the captures in the project's GB/T 28181 samples
// (02/03 Hikvision, 06/07 pjsip+FreeSWITCH, 11/12 pjsip over TCP), with the passwords
// recovered from them: the digest code must reproduce what the real devices computed.
func TestAuthorizationMatchesCapturedDevices(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		cred      credentials
		want      string // the captured response
		wantParts []string
	}{
		{
			name:      "hikvision, opaque, no qop",
			challenge: `Digest realm="hik", nonce="a8afe6fcbee6331d89d3eb0d3d19ce39", opaque="a853e4f25298413f9bf3a9aa6767857d", algorithm=MD5`,
			cred:      credentials{username: "admin", password: "12345", method: "REGISTER", uri: "sip:130909115229300920@10.64.49.44:7100"},
			want:      "907ddb1bcc25174d7de4a96c947fb066",
			wantParts: []string{`opaque="a853e4f25298413f9bf3a9aa6767857d"`, `algorithm=MD5`},
		},
		{
			name:      "pjsip answering a FreeSWITCH qop challenge",
			challenge: `Digest realm="192.168.0.201",nonce="fdcf1fa0-a1bf-11ec-834a-51de18a27486",algorithm=MD5,qop="auth"`,
			cred: credentials{username: "1018", password: "1234", method: "REGISTER", uri: "sip:192.168.0.201:5060;transport=udp",
				useQop: true, nc: 1, cnonce: "zIhex-YJ-8ChFLOTzhHyp-6raNK96Q06"},
			want:      "b4366d02187cb254adb617367cb7d77f",
			wantParts: []string{`qop=auth`, `nc=00000001`, `cnonce="zIhex-YJ-8ChFLOTzhHyp-6raNK96Q06"`},
		},
		{
			name:      "lower-case md5 over TCP",
			challenge: `Digest  realm="32100045",nonce="0029482318be6784",algorithm=md5`,
			cred:      credentials{username: "32100045", password: "32100045", method: "REGISTER", uri: "sip:192.168.110.237:20101;transport=tcp", useQop: true},
			want:      "f6144dbcc10d8995c0ffc1ade5a712f5",
			wantParts: []string{`algorithm=md5`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := parseChallenge(tt.challenge)
			if err != nil {
				t.Fatal(err)
			}
			got, err := authorization(ch, tt.cred)
			if err != nil {
				t.Fatal(err)
			}
			if resp := mustParams(t, got)["response"]; resp != tt.want {
				t.Errorf("response = %q, want %q (header %s)", resp, tt.want, got)
			}
			for _, p := range tt.wantParts {
				if !strings.Contains(got, p) {
					t.Errorf("header %s lacks %s", got, p)
				}
			}
			// Any other password must give another answer.
			wrong := tt.cred
			wrong.password += "x"
			bad, _ := authorization(ch, wrong)
			if mustParams(t, bad)["response"] == tt.want {
				t.Error("wrong password gives the same response")
			}
		})
	}
}

func TestAuthorizationQopChoice(t *testing.T) {
	qopChal := challenge{realm: "r", nonce: "n", algorithm: "SHA-256", qop: []string{"auth", "auth-int"}}
	plain := challenge{realm: "r", nonce: "n", algorithm: "MD5"}
	for _, tc := range []struct {
		name    string
		ch      challenge
		useQop  bool
		wantQop bool
		respLen int
	}{
		{"qop offered and used", qopChal, true, true, 64},
		{"qop offered, device answers without", qopChal, false, false, 64},
		{"no qop offered", plain, true, false, 32},
	} {
		got, err := authorization(tc.ch, credentials{username: "u", password: "p", method: "REGISTER", uri: "sip:x", useQop: tc.useQop, nc: 2})
		if err != nil {
			t.Fatal(err)
		}
		p := mustParams(t, got)
		if (p["qop"] == "auth") != tc.wantQop {
			t.Errorf("%s: %s", tc.name, got)
		}
		if tc.wantQop && (p["nc"] != "00000002" || p["cnonce"] == "") {
			t.Errorf("%s: nc/cnonce wrong in %s", tc.name, got)
		}
		if len(p["response"]) != tc.respLen {
			t.Errorf("%s: response %q has length %d, want %d", tc.name, p["response"], len(p["response"]), tc.respLen)
		}
	}
	if _, err := authorization(challenge{nonce: "n", algorithm: "SHA-512-256"}, credentials{}); err == nil {
		t.Error("unsupported algorithm accepted")
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in      string
		want    challenge
		wantErr bool
	}{
		{in: `Digest realm="3402000000",nonce="abc",algorithm=MD5,qop="auth",opaque="o"`,
			want: challenge{realm: "3402000000", nonce: "abc", algorithm: "MD5", qop: []string{"auth"}, opaque: "o"}},
		{in: `digest REALM = "r" , Nonce="n,with,commas", stale=TRUE, qop="auth,auth-int"`,
			want: challenge{realm: "r", nonce: "n,with,commas", algorithm: "MD5", stale: true, qop: []string{"auth", "auth-int"}}},
		{in: `Digest realm="r",nonce=bare,algorithm=SHA-256`, want: challenge{realm: "r", nonce: "bare", algorithm: "SHA-256"}},
		{in: `Basic realm="r"`, wantErr: true},
		{in: `Digest realm="r"`, wantErr: true},
		{in: ``, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseChallenge(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseChallenge(%q) accepted: %+v", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseChallenge(%q): %v", tt.in, err)
			continue
		}
		if got.realm != tt.want.realm || got.nonce != tt.want.nonce || got.algorithm != tt.want.algorithm ||
			got.opaque != tt.want.opaque || got.stale != tt.want.stale || strings.Join(got.qop, "|") != strings.Join(tt.want.qop, "|") {
			t.Errorf("parseChallenge(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNextID(t *testing.T) {
	tests := []struct {
		id      string
		n       int
		want    string
		wantErr bool
	}{
		{"34020000001320000001", 0, "34020000001320000001", false},
		{"34020000001320000001", 9, "34020000001320000010", false},
		{"34020000001320000001", 9999, "34020000001320010000", false},
		{"34020000001329999999", 1, "34020000001330000000", false},
		{"0099", 1, "0100", false},
		{"99999999999999999999", 1, "", true},
		{"3402000000132000000x", 1, "", true},
		{"", 1, "", true},
		{"1", -1, "", true},
	}
	for _, tt := range tests {
		got, err := NextID(tt.id, tt.n)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NextID(%q, %d) = %q, %v; want %q (error %v)", tt.id, tt.n, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestChannelID(t *testing.T) {
	seen := map[string]bool{}
	for nvr := range 5 {
		id, _ := NextID("34020000001180000001", nvr)
		for i := range 32 {
			ch := ChannelID(id, 32, i)
			if gbid.DeviceType(ch) != "Camera" {
				t.Fatalf("ChannelID(%s, %d) = %s is not a camera ID", id, i, ch)
			}
			if seen[ch] {
				t.Fatalf("ChannelID(%s, %d) = %s repeats", id, i, ch)
			}
			seen[ch] = true
		}
	}
	if got := ChannelID("1018", 4, 2); got != "1018-3" {
		t.Errorf("ChannelID of a non-GB ID = %q", got)
	}
}

// TestChannelNumber: channelNumber finds every channel ChannelID names, on GB and
// non-GB NVRs, and claims no other ID (the NVR's own, the next NVR's channels, other
// regions and types).
func TestChannelNumber(t *testing.T) {
	for _, nvr := range []string{"34020000001180000001", "34020000001180999999", "1018"} {
		for _, n := range []int{1, 45, 3000} {
			for i := range n {
				if got, ok := channelNumber(nvr, n, ChannelID(nvr, n, i)); !ok || got != i {
					t.Fatalf("channelNumber(%s, %d, ChannelID(.., %d)) = %d, %v", nvr, n, i, got, ok)
				}
			}
			next, _ := NextID(nvr, 1)
			for _, other := range []string{nvr, ChannelID(nvr, n+1, n), ChannelID("34020000001180000001", 45, 0)[:19] + "x",
				"34020000011310000002", "35020000001310000002", "34020000001320000002", "1018-0", "1018-01", ChannelID(next, n, 0)} {
				if i, ok := channelNumber(nvr, n, other); ok && ChannelID(nvr, n, i) != other {
					t.Errorf("channelNumber(%s, %d, %s) = %d, which is %s", nvr, n, other, i, ChannelID(nvr, n, i))
				}
			}
		}
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if diff := float64(got-tc.want) / float64(tc.want); diff > 0.035 || diff < -0.035 {
			t.Errorf("quantile(%v) = %v, want %v ±3.5%%", tc.q, got, tc.want)
		}
	}
	if h.max != time.Second || h.count != 1000 {
		t.Errorf("max %v count %d", h.max, h.count)
	}
	// Every bucket's representative value maps back to the bucket.
	for i := range bucketOf(1<<63) + 1 {
		if b := bucketOf(bucketMid(i)); b != i {
			t.Fatalf("bucketOf(bucketMid(%d)) = %d", i, b)
		}
	}
}

func TestRefreshDelayAndBackoff(t *testing.T) {
	for _, tc := range []struct{ expires, want time.Duration }{
		{3600 * time.Second, 3240 * time.Second},
		{86400 * time.Second, 77760 * time.Second},
		{60 * time.Second, 30 * time.Second},
		{4 * time.Second, 2 * time.Second},
		{time.Second, time.Second},
	} {
		if got := refreshDelay(tc.expires); got != tc.want {
			t.Errorf("refreshDelay(%v) = %v, want %v", tc.expires, got, tc.want)
		}
	}
	d := &Device{cfg: Config{RetryMin: time.Minute, RetryMax: 10 * time.Minute}}
	for _, tc := range []struct {
		failures int
		err      error
		lo, hi   time.Duration
	}{
		{1, errors.New("x"), time.Minute, 66 * time.Second},
		{2, errors.New("x"), 2 * time.Minute, 132 * time.Second},
		{5, errors.New("x"), 10 * time.Minute, 11 * time.Minute},
		{50, errors.New("x"), 10 * time.Minute, 11 * time.Minute},
		{1, &StatusError{Code: 503, RetryAfter: 5 * time.Minute}, 5 * time.Minute, 330 * time.Second},
		{1, &StatusError{Code: 503, RetryAfter: time.Second}, time.Minute, 66 * time.Second},
	} {
		for range 20 {
			if got := d.backoff(tc.failures, tc.err); got < tc.lo || got > tc.hi {
				t.Fatalf("backoff(%d, %v) = %v, want in [%v, %v]", tc.failures, tc.err, got, tc.lo, tc.hi)
			}
		}
	}
}

func TestCharsetParam(t *testing.T) {
	for in, want := range map[string]string{
		"Application/MANSCDP+xml":                   "",
		"Application/MANSCDP+xml;charset=GB2312":    "GB2312",
		`application/manscdp+xml; Charset="utf-8" `: "utf-8",
	} {
		if got := charsetParam(in); got != want {
			t.Errorf("charsetParam(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{ID: "34020000001320000001", Algorithm: "sha-256", Charset: "UTF8"}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if c.Username != c.ID || c.ServerID != DefaultServerID || c.Domain != "3402000000" || c.Algorithm != "SHA-256" ||
		c.Charset != "utf-8" || c.RetryMin != time.Minute || c.Expires != time.Hour || c.CatalogPage != 20 {
		t.Errorf("defaults: %+v", c)
	}
	for _, bad := range []Config{{}, {ID: "1", Algorithm: "SHA-1"}, {ID: "1", Charset: "big5"}, {ID: "1", Channels: -1}} {
		if err := bad.setDefaults(); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

// mustParams parses an Authorization header the device wrote.
func mustParams(t *testing.T, header string) map[string]string {
	t.Helper()
	p, err := digestparam.Parse(header)
	if err != nil {
		t.Fatalf("the device wrote an unparsable Authorization %q: %v", header, err)
	}
	return p
}
