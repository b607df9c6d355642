package sipd

import (
	"strings"
	"testing"
)

func TestOpensRegistration(t *testing.T) {
	const register = "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1\r\n" +
		"From: <sip:34020000001320000001@3402000000>;tag=a\r\n" +
		"To: <sip:34020000001320000001@3402000000>\r\n" +
		"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:x@192.0.2.1>\r\nContent-Length: 0\r\n\r\n"
	withHeader := func(h string) string { return strings.Replace(register, "Contact:", h+"\r\nContact:", 1) }
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"REGISTER without Authorization", register, true},
		{"after CRLF keepalives", "\r\n\r\n" + register, true},
		{"LF line ends", strings.ReplaceAll(register, "\r\n", "\n"), true},
		{"answering a challenge", withHeader(`Authorization: Digest username="34020000001320000001", nonce="n"`), false},
		{"answering, lower case and a space", withHeader(`authorization : Digest username="x"`), false},
		{"only Proxy-Authorization", withHeader(`Proxy-Authorization: Digest username="x"`), true},
		{"Authorization in the body only", strings.Replace(register, "Content-Length: 0\r\n\r\n", "Content-Length: 19\r\n\r\nAuthorization: x\r\n\r\n", 1), true},
		{"MESSAGE", strings.Replace(register, "REGISTER sip:", "MESSAGE sip:", 1), false},
		{"a response", "SIP/2.0 200 OK\r\n" + register[strings.Index(register, "Via"):], false},
		{"headers never end", strings.TrimSuffix(register, "\r\n"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := opensRegistration([]byte(tc.data)); got != tc.want {
				t.Errorf("opensRegistration = %v, want %v", got, tc.want)
			}
		})
	}
}
