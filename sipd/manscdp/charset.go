package manscdp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Charsets a body is decoded from or encoded to. GB2312 and GBK bodies are decoded with
// the GB18030 decoder: GB18030 is a superset of GBK, which is a superset of GB2312, and
// devices that declare GB2312 routinely send GBK-only characters.
const (
	CharsetGB2312  = "GB2312"
	CharsetGBK     = "GBK"
	CharsetGB18030 = "GB18030"
	CharsetUTF8    = "UTF-8"
)

// ErrCharset is returned by the encoders for a charset they cannot produce, and wrapped
// when a value cannot be represented in the requested charset.
var ErrCharset = errors.New("manscdp: unsupported charset")

// canonicalCharset maps the labels seen in XML declarations and Content-Type parameters
// to one of the Charset constants, or "" when the label is empty or unknown.
func canonicalCharset(label string) string {
	l := strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(label), `"'`)))
	switch l {
	case "gb2312", "gb_2312", "gb_2312-80", "gb-2312", "euc-cn", "x-euc-cn", "csgb2312", "chinese", "iso-ir-58":
		return CharsetGB2312
	case "gbk", "x-gbk", "cp936", "ms936", "windows-936", "csgbk":
		return CharsetGBK
	case "gb18030", "gb-18030", "csgb18030":
		return CharsetGB18030
	case "utf-8", "utf8", "unicode-1-1-utf-8", "us-ascii", "ascii":
		// ASCII is a subset of UTF-8; a non-ASCII byte under an ASCII label is mislabelled
		// and handled by the same fallback as for UTF-8.
		return CharsetUTF8
	}
	return ""
}

// toUTF8 converts body to UTF-8 and reports the charset it was read as.
//
// The label (XML declaration first, Content-Type charset second) chooses the decoder, but
// labels lie in the field: GB2312 is declared over UTF-8 bodies and UTF-8 over GBK ones.
// Since UTF-8's byte structure is strict, a non-ASCII body that is valid UTF-8 is taken as
// UTF-8 whatever its label (real GB text of more than a character or two is practically
// never valid UTF-8); anything else is read as GB18030, which accepts every GBK/GB2312
// sequence. Bytes invalid even for GB18030 become U+FFFD rather than failing the message:
// a keepalive must not be lost to one bad byte in a device name.
func toUTF8(body []byte, label string) ([]byte, string, error) {
	if isASCII(body) {
		cs := canonicalCharset(label)
		if cs == "" {
			cs = CharsetUTF8
		}
		return body, cs, nil
	}
	if utf8.Valid(body) {
		return body, CharsetUTF8, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
	if err != nil {
		return nil, "", fmt.Errorf("%w: decoding as GB18030: %v", ErrMalformed, err)
	}
	return out, CharsetGB18030, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// declaredEncoding returns the encoding pseudo-attribute of body's XML declaration, if
// any. Only ASCII bytes matter here, so it works on the raw, not yet decoded, body.
func declaredEncoding(body []byte) string {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := b[:end]
	i := bytes.Index(asciiLower(decl), []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	j := bytes.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// asciiLower lower-cases the ASCII letters of b into a copy of the same length.
// bytes.ToLower would not do: it turns each invalid UTF-8 byte into a 3-byte U+FFFD, so
// an index into its result is not an index into b.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// encoderFor returns the encoder and the declaration label for an encoding request. ""
// means GB2312, the charset GB/T 28181 prescribes.
func encoderFor(charset string) (*encoding.Encoder, string, error) {
	if strings.TrimSpace(charset) == "" {
		charset = CharsetGB2312
	}
	switch canonicalCharset(charset) {
	case CharsetGB2312:
		// There is no GB2312-only encoder; GBK is what GB2312-declaring devices send.
		return simplifiedchinese.GBK.NewEncoder(), CharsetGB2312, nil
	case CharsetGBK:
		return simplifiedchinese.GBK.NewEncoder(), CharsetGBK, nil
	case CharsetGB18030:
		return simplifiedchinese.GB18030.NewEncoder(), CharsetGB18030, nil
	case CharsetUTF8:
		return nil, CharsetUTF8, nil
	}
	return nil, "", fmt.Errorf("%w: %q", ErrCharset, charset)
}
