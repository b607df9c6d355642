package manscdp

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flatBodies are bodies parseFlat must read itself: what devices send most.
var flatBodies = map[string]string{
	"keepalive, GB2312 declaration, CRLF": "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>43</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n",
	"keepalive, no declaration":           "<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>",
	"lower-case tags, padded values":      "<?xml version='1.0'?>\n<notify>\n\t<cmdtype> Keepalive </CMDTYPE>\n\t<sn>7</SN>\n\t<deviceid>34020000001320000001</DeviceID>\n</Notify>",
	"empty and blank elements":            "<Notify><CmdType>Keepalive</CmdType><SN></SN><Status>  </Status></Notify>",
	"NULs after the root":                 "<Notify><CmdType>Keepalive</CmdType><SN>2</SN></Notify>\x00\x00\x00",
	"a query":                             "<?xml version=\"1.0\"?>\r\n<Query>\r\n<CmdType>DeviceInfo</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n</Query>\r\n",
	"text with quotes and '>'":            "<Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceName>gate \"A\" > 2</DeviceName></Response>",
}

// nonFlatBodies are bodies parseFlat must leave to parseTree, each for the reason named.
var nonFlatBodies = map[string]string{
	"nested list":            "<Notify><CmdType>Keepalive</CmdType><SN>1</SN><Info><DeviceID>1</DeviceID></Info></Notify>",
	"attribute":              `<Response><CmdType>Catalog</CmdType><DeviceList Num="0"></DeviceList></Response>`,
	"comment":                "<!-- hi --><Notify><CmdType>Keepalive</CmdType></Notify>",
	"entity":                 "<Notify><CmdType>Keepalive</CmdType><Status>O&amp;K</Status></Notify>",
	"CDATA":                  "<Notify><CmdType><![CDATA[Keepalive]]></CmdType></Notify>",
	"carriage return inside": "<Notify><CmdType>Keepalive</CmdType><Status>O\rK</Status></Notify>",
	"namespace prefix":       "<Notify><gb:CmdType>Keepalive</gb:CmdType></Notify>",
	"version 1.1":            "<?xml version=\"1.1\"?><Notify><CmdType>Keepalive</CmdType></Notify>",
	"other processing":       "<?xml-stylesheet href=\"a\"?><Notify><CmdType>Keepalive</CmdType></Notify>",
	"self-closing":           "<Notify><CmdType>Keepalive</CmdType><SN/></Notify>",
	"mismatched close":       "<Notify><CmdType>Keepalive</CmdType><SN>1</Status></Notify>",
	"unclosed root":          "<Notify><CmdType>Keepalive</CmdType>",
	"text in the root":       "<Notify>hello<CmdType>Keepalive</CmdType></Notify>",
	"control character":      "<Notify><CmdType>Keep\x01alive</CmdType></Notify>",
	"non-ASCII value":        "<Notify><CmdType>Keepalive</CmdType><Name>大门</Name></Notify>",
	"space in a tag":         "<Notify ><CmdType>Keepalive</CmdType></Notify>",
	"text before the root":   "junk<Notify><CmdType>Keepalive</CmdType></Notify>",
	"too many elements":      "<Notify>" + strings.Repeat("<a></a>", 200) + "</Notify>",
}

// TestParseFlatReadsFlatBodies: the bodies devices send most take the fast path and
// give the tree parseTree gives.
func TestParseFlatReadsFlatBodies(t *testing.T) {
	for name, body := range flatBodies {
		flat, ok := parseFlat([]byte(body))
		if !ok {
			t.Errorf("%s: not read as flat", name)
			continue
		}
		tree, err := parseTree([]byte(body))
		if err != nil {
			t.Fatalf("%s: parseTree: %v", name, err)
		}
		if diff := treeDiff(flat, tree); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	}
}

// TestParseFlatLeavesTheRestToParseTree: whatever is not a flat body of plain text is
// refused by the fast path, whether parseTree then accepts it or not.
func TestParseFlatLeavesTheRestToParseTree(t *testing.T) {
	for name, body := range nonFlatBodies {
		if _, ok := parseFlat([]byte(body)); ok {
			t.Errorf("%s: read as flat", name)
		}
	}
}

// TestDecodeKeepaliveFlat: a keepalive decodes the same through the fast path as the
// full decoder reads it.
func TestDecodeKeepaliveFlat(t *testing.T) {
	body := []byte(flatBodies["keepalive, GB2312 declaration, CRLF"])
	m, err := Decode(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Root != "Notify" || m.CmdType != "Keepalive" || m.SN != 43 || m.DeviceID != "34020000001320000001" || m.Status != "OK" || m.Charset != CharsetGB2312 {
		t.Errorf("decoded %+v", m)
	}
}

// FuzzParseFlatMatchesParseTree: whatever parseFlat reads, parseTree reads too, into the
// same tree. Seeded with the tables above and testdata/bodies.
func FuzzParseFlatMatchesParseTree(f *testing.F) {
	for _, body := range flatBodies {
		f.Add([]byte(body))
	}
	for _, body := range nonFlatBodies {
		f.Add([]byte(body))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*.xml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		flat, ok := parseFlat(text)
		if !ok {
			return
		}
		tree, err := parseTree(text)
		if err != nil {
			t.Fatalf("parseFlat read %q, parseTree refuses it: %v", text, err)
		}
		if diff := treeDiff(flat, tree); diff != "" {
			t.Fatalf("%q: %s", text, diff)
		}
	})
}

// treeDiff describes the first difference between two trees, "" when they are equal.
func treeDiff(got, want *element) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return "an element is missing on one side"
	case got.name != want.name:
		return "name " + got.name + ", want " + want.name
	case !bytes.Equal(got.text, want.text):
		return "<" + got.name + "> text " + string(got.text) + ", want " + string(want.text)
	case (got.attrs == nil) != (want.attrs == nil):
		return "<" + got.name + "> attributes differ"
	}
	if d := treeDiff(got.first, want.first); d != "" {
		return d
	}
	return treeDiff(got.next, want.next)
}

// BenchmarkParseKeepalive reads a keepalive body by the fast path and by encoding/xml,
// side by side.
func BenchmarkParseKeepalive(b *testing.B) {
	body := []byte(flatBodies["keepalive, GB2312 declaration, CRLF"])
	for _, p := range []struct {
		name  string
		parse func([]byte) bool
	}{
		{"parseFlat", func(t []byte) bool { _, ok := parseFlat(t); return ok }},
		{"parseTree", func(t []byte) bool { _, err := parseTree(t); return err == nil }},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !p.parse(body) {
					b.Fatal("not parsed")
				}
			}
		})
	}
}
