package sipd_test

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/digestparam"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The texts the raw peers send: REGISTERs with and without a digest, MESSAGEs, and the
// real captures of testdata/samples.

// samplesDir holds the real captures; the repository keeps a copy under testdata.
const samplesDir = "testdata/samples"

func readSample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	nonceParam    = regexp.MustCompile(`([ ,])nonce="[^"]*"`)
	responseParam = regexp.MustCompile(`response="[^"]*"`)
	authLine      = regexp.MustCompile(`(?m)^Authorization: (.*)\r$`)
)

// digest is what a device's digest response is computed from.
type digest struct {
	algorithm, username, realm, uri, nonce, qop, nc, cnonce string
}

// response is the digest response a device sends (RFC 2617, RFC 7616 for SHA-256),
// computed here on its own rather than by the registrar's code, so that the tests hold
// the registrar to the RFCs:
//
//	HA1 = H(username:realm:password), HA2 = H(method:uri)
//	response = H(HA1:nonce:HA2), or H(HA1:nonce:nc:cnonce:qop:HA2) with qop.
func (d digest) response(password, method string) string {
	h := func(s string) string {
		if strings.EqualFold(d.algorithm, "SHA-256") {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:])
		}
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	ha1, ha2 := h(d.username+":"+d.realm+":"+password), h(method+":"+d.uri)
	if d.qop != "" {
		return h(ha1 + ":" + d.nonce + ":" + d.nc + ":" + d.cnonce + ":" + d.qop + ":" + ha2)
	}
	return h(ha1 + ":" + d.nonce + ":" + ha2)
}

// reauth rewrites a captured authenticated REGISTER for a new nonce: the digest is
// recomputed the way the device computed it (same username, uri, qop, nc, cnonce,
// algorithm spelling) with password.
func reauth(t testing.TB, captured, nonce, password string) string {
	t.Helper()
	m := authLine.FindStringSubmatch(captured)
	if m == nil {
		t.Fatal("capture has no Authorization")
	}
	p, err := digestparam.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	d := digest{algorithm: p["algorithm"], username: p["username"], realm: p["realm"], uri: p["uri"], nonce: nonce, qop: p["qop"], nc: p["nc"], cnonce: p["cnonce"]}
	out := nonceParam.ReplaceAllString(captured, `${1}nonce="`+nonce+`"`)
	return responseParam.ReplaceAllString(out, `response="`+d.response(password, "REGISTER")+`"`)
}

func challengeNonce(t testing.TB, res *sip.Response) string {
	t.Helper()
	m := regexp.MustCompile(`nonce="([0-9a-f]+)"`).FindStringSubmatch(header(res, "WWW-Authenticate"))
	if m == nil {
		t.Fatalf("no nonce in %d %q", res.StatusCode, header(res, "WWW-Authenticate"))
	}
	return m[1]
}

// authRequest builds an authenticated REGISTER for devID with a given nonce and nc.
func authRequest(t testing.TB, s *sipd.Server, port, branch, nonce, nc string, cseq int, expires string) string {
	t.Helper()
	return authRequestFor(s, devID, devPW, port, branch, nonce, nc, cseq, expires)
}

// authRequestFor is authRequest for any device and password.
func authRequestFor(s *sipd.Server, id, password, port, branch, nonce, nc string, cseq int, expires string) string {
	d := digest{algorithm: "MD5", username: id, realm: s.Realm(), uri: "sip:34020000002000000001@3402000000", nonce: nonce}
	if nc != "" {
		d.qop, d.nc, d.cnonce = "auth", nc, "abcdef"
	}
	authz := `Digest username="` + id + `", realm="` + d.realm + `", nonce="` + nonce + `", uri="` + d.uri + `", response="` + d.response(password, "REGISTER") + `", algorithm=MD5`
	if nc != "" {
		authz += `, qop=auth, nc=` + nc + `, cnonce="abcdef"`
	}
	return registerTextFor(id, port, branch, cseq, expires, "Authorization: "+authz+"\r\n")
}

func registerText(port, branch string, cseq int, expires, extra string) string {
	return registerTextFor(devID, port, branch, cseq, expires, extra)
}

// registerTextFor is registerText for any device.
func registerTextFor(id, port, branch string, cseq int, expires, extra string) string {
	return "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:" + port + ";rport;branch=z9hG4bK" + branch + "\r\n" +
		"From: <sip:" + id + "@3402000000>;tag=abc\r\n" +
		"To: <sip:" + id + "@3402000000>\r\n" +
		"Call-ID: raw-" + id + "@127.0.0.1\r\n" +
		"CSeq: " + strconv.Itoa(cseq) + " REGISTER\r\n" +
		"Contact: <sip:" + id + "@127.0.0.1:" + port + ">\r\n" +
		"Max-Forwards: 70\r\n" +
		"Expires: " + expires + "\r\n" + extra +
		"Content-Length: 0\r\n\r\n"
}

// messageText is a MESSAGE from device id with body, declaring contentLength.
func messageText(id, branch string, cseq int, callID, body string, contentLength int) string {
	return "MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bK" + branch + "\r\n" +
		"From: <sip:" + id + "@3402000000>;tag=m" + branch + "\r\n" +
		"To: <sip:34020000002000000001@3402000000>\r\n" +
		"Call-ID: " + callID + "\r\n" +
		"CSeq: " + strconv.Itoa(cseq) + " MESSAGE\r\n" +
		"Content-Type: Application/MANSCDP+xml\r\n" +
		"Content-Length: " + strconv.Itoa(contentLength) + "\r\n\r\n" + body
}

func keepaliveText(t testing.TB, branch string, cseq int) string {
	t.Helper()
	body, err := manscdp.EncodeKeepalive(cseq, devID, "UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	return messageText(devID, branch, cseq, "ka-"+branch, string(body), len(body))
}
