package sipd

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteRaw503(t *testing.T) {
	register := "REGISTER sip:3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1\r\n" +
		"From: <sip:34020000001320000001@3402000000>;tag=a\r\n" +
		"To: <sip:34020000001320000001@3402000000>\r\n" +
		"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:x@192.0.2.1>\r\nContent-Length: 0\r\n\r\n"
	compact := "MESSAGE sip:x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK2\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>;TAG=2\r\ni: c2\r\nCSeq: 7 MESSAGE\r\n\r\n<Notify/>"
	tests := []struct {
		name  string
		in    string
		ok    bool
		wants []string
	}{
		{"REGISTER", register, true, []string{"SIP/2.0 503 Service Unavailable\r\n", "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1\r\n",
			"To: <sip:34020000001320000001@3402000000>;tag=t1\r\n", "Call-ID: c1\r\n", "CSeq: 1 REGISTER\r\n", "Retry-After: 5\r\n", "Content-Length: 0\r\n\r\n"}},
		{"compact MESSAGE with a tag", compact, true, []string{"v: SIP/2.0/UDP h;branch=z9hG4bK2\r\n", "t: <sip:c@d>;TAG=2\r\n", "i: c2\r\n"}},
		{"response", "SIP/2.0 200 OK\r\n" + register[strings.Index(register, "Via"):], false, nil},
		{"ACK", "ACK sip:x SIP/2.0\r\n" + register[strings.Index(register, "Via"):], false, nil},
		{"no Call-ID", strings.Replace(register, "Call-ID: c1\r\n", "", 1), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			ok := writeRaw503(&buf, []byte(tc.in), "5", "test", "t1")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			out := buf.String()
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("answer lacks %q:\n%s", w, out)
				}
			}
			if ok && strings.Contains(out, "Contact") {
				t.Errorf("answer copies Contact:\n%s", out)
			}
		})
	}
}
