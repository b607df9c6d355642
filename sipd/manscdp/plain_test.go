package manscdp

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plainBodies are bodies parsePlain must read itself: what devices send.
var plainBodies = map[string]string{
	"keepalive, GB2312 declaration, CRLF": "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>43</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n",
	"keepalive, no declaration":           "<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>",
	"lower-case tags, padded values":      "<?xml version='1.0'?>\n<notify>\n\t<cmdtype> Keepalive </CMDTYPE>\n\t<sn>7</SN>\n\t<deviceid>34020000001320000001</DeviceID>\n</Notify>",
	"empty and blank elements":            "<Notify><CmdType>Keepalive</CmdType><SN></SN><Status>  </Status></Notify>",
	"NULs after the root":                 "<Notify><CmdType>Keepalive</CmdType><SN>2</SN></Notify>\x00\x00\x00",
	"a query":                             "<?xml version=\"1.0\"?>\r\n<Query>\r\n<CmdType>DeviceInfo</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n</Query>\r\n",
	"text with quotes and '>'":            "<Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceName>gate \"A\" > 2</DeviceName></Response>",
	"catalog part, CRLF, Num attribute":   "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>5</SN>\r\n<DeviceID>34020000001180000001</DeviceID>\r\n<SumNum>2</SumNum>\r\n<DeviceList Num=\"2\">\r\n<Item>\r\n<DeviceID>34020000001310000001</DeviceID>\r\n<Name>大门 1</Name>\r\n<Info>\r\n<PTZType>1</PTZType>\r\n</Info>\r\n</Item>\r\n<Item><DeviceID>34020000001310000002</DeviceID><Status>ON</Status></Item>\r\n</DeviceList>\r\n</Response>\r\n",
	"non-ASCII value":                     "<Notify><CmdType>Keepalive</CmdType><Name>大门</Name></Notify>",
	"self-closing":                        "<Notify><CmdType>Keepalive</CmdType><SN/><Info /></Notify>",
	"self-closing root":                   "<Notify/>",
	"attributes, spaced and quoted":       "<Response><CmdType>PresetQuery</CmdType><PresetList  num = '2' Other=\"x y\" Num=\"3\" ><Item><PresetID>1</PresetID></Item></PresetList></Response>",
	"attribute on an item":                "<Response><CmdType>RecordInfo</CmdType><RecordList Num=\"1\"><Item Kind=\"a\"><FilePath>/a b</FilePath></Item></RecordList></Response>",
	"space in a tag":                      "<Notify ><CmdType>Keepalive</CmdType></Notify>",
	"Unicode space as the only text":      "<Notify><CmdType>Keepalive</CmdType><Name>\u00a0</Name><Info>\u3000<SN>1</SN>\u3000</Info></Notify>",
	"deeply nested, at the limit":         strings.Repeat("<a>", maxDepth) + "x" + strings.Repeat("</a>", maxDepth),
}

// nonPlainBodies are bodies parsePlain must leave to parseTree, each for the reason named.
var nonPlainBodies = map[string]string{
	"comment":                 "<!-- hi --><Notify><CmdType>Keepalive</CmdType></Notify>",
	"entity":                  "<Notify><CmdType>Keepalive</CmdType><Status>O&amp;K</Status></Notify>",
	"CDATA":                   "<Notify><CmdType><![CDATA[Keepalive]]></CmdType></Notify>",
	"carriage return inside":  "<Notify><CmdType>Keepalive</CmdType><Status>O\rK</Status></Notify>",
	"namespace prefix":        "<Notify><gb:CmdType>Keepalive</gb:CmdType></Notify>",
	"version 1.1":             "<?xml version=\"1.1\"?><Notify><CmdType>Keepalive</CmdType></Notify>",
	"other processing":        "<?xml-stylesheet href=\"a\"?><Notify><CmdType>Keepalive</CmdType></Notify>",
	"mismatched close":        "<Notify><CmdType>Keepalive</CmdType><SN>1</Status></Notify>",
	"unclosed root":           "<Notify><CmdType>Keepalive</CmdType>",
	"text in the root":        "<Notify>hello<CmdType>Keepalive</CmdType></Notify>",
	"control character":       "<Notify><CmdType>Keep\x01alive</CmdType></Notify>",
	"invalid UTF-8":           "<Notify><CmdType>Keepalive</CmdType><Name>\xb4\xf3</Name></Notify>",
	"character XML forbids":   "<Notify><CmdType>Keepalive</CmdType><Name>\uffff</Name></Notify>",
	"text beside children":    "<Notify><CmdType>Keepalive</CmdType><Info>a<SN>1</SN></Info></Notify>",
	"text after children":     "<Notify><CmdType>Keepalive</CmdType><Info><SN>1</SN>b</Info></Notify>",
	"attribute with entity":   `<Response><CmdType>Catalog</CmdType><DeviceList Num="&#49;"></DeviceList></Response>`,
	"attribute without value": "<Response><CmdType>Catalog</CmdType><DeviceList Num></DeviceList></Response>",
	"unquoted attribute":      "<Response><CmdType>Catalog</CmdType><DeviceList Num=1></DeviceList></Response>",
	"attributes unspaced":     `<Response><CmdType>Catalog</CmdType><DeviceList a="1"Num="2"></DeviceList></Response>`,
	"prefixed attribute":      `<Response><CmdType>Catalog</CmdType><DeviceList x:Num="2"></DeviceList></Response>`,
	"space in an end tag":     "<Notify><CmdType>Keepalive</CmdType ></Notify>",
	"comment inside":          "<Notify><CmdType>Keepalive</CmdType><!-- x --></Notify>",
	"processing instruction":  "<Notify><?x y?><CmdType>Keepalive</CmdType></Notify>",
	"text before the root":    "junk<Notify><CmdType>Keepalive</CmdType></Notify>",
}

// TestParsePlainReadsPlainBodies: the bodies devices send take the fast path and give
// the tree parseTree gives.
func TestParsePlainReadsPlainBodies(t *testing.T) {
	for name, body := range plainBodies {
		plain, ok, err := parsePlain([]byte(body))
		if !ok || err != nil {
			t.Errorf("%s: not read as plain (%v)", name, err)
			continue
		}
		tree, err := parseTree([]byte(body))
		if err != nil {
			t.Fatalf("%s: parseTree: %v", name, err)
		}
		if diff := treeDiff(plain, tree); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	}
}

// TestParsePlainReadsTheBodiesOfRealDevices: every captured body in testdata/bodies but
// the one that uses an entity takes the fast path, into parseTree's tree.
func TestParsePlainReadsTheBodiesOfRealDevices(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bodies", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bodies: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text, _, err := toUTF8(raw, declaredEncoding(raw))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		plain, ok, err := parsePlain(text)
		if !ok || err != nil {
			if !bytes.Contains(text, []byte("&")) {
				t.Errorf("%s: not read as plain", file)
			}
			continue
		}
		tree, err := parseTree(text)
		if err != nil {
			t.Fatalf("%s: parseTree: %v", file, err)
		}
		if diff := treeDiff(plain, tree); diff != "" {
			t.Errorf("%s: %s", file, diff)
		}
	}
}

// refusedPlainBodies are plain bodies over parseTree's bounds, which parsePlain refuses
// itself with parseTree's error.
var refusedPlainBodies = map[string]string{
	"too deep":                    strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1),
	"too many elements":           "<Notify>" + strings.Repeat("<a></a>", 200) + "</Notify>",
	"too many self-closing":       "<Notify>" + strings.Repeat("<a/>", 200) + "</Notify>",
	"too many, last tag unclosed": "<Notify>" + strings.Repeat("<a/>", 70) + "<a",
}

// TestParsePlainRefusesWhatParseTreeRefuses: a plain body over the bounds is refused by
// the fast path with the error parseTree gives, without parseTree's work; one whose
// element over the limit has a broken start tag is left to parseTree, which reports
// that first.
func TestParsePlainRefusesWhatParseTreeRefuses(t *testing.T) {
	for name, body := range refusedPlainBodies {
		_, ok, plainErr := parsePlain([]byte(body))
		_, treeErr := parseTree([]byte(body))
		if treeErr == nil {
			t.Fatalf("%s: parseTree reads it", name)
		}
		broken := strings.HasSuffix(body, "<a")
		switch {
		case ok:
			t.Errorf("%s: read as plain", name)
		case broken && plainErr != nil:
			t.Errorf("%s: refused (%v), parseTree says %v", name, plainErr, treeErr)
		case !broken && (plainErr == nil || plainErr.Error() != treeErr.Error()):
			t.Errorf("%s: refused with %v, parseTree with %v", name, plainErr, treeErr)
		}
	}
}

// TestParsePlainLeavesTheRestToParseTree: whatever is not plain XML is refused by the
// fast path, whether parseTree then accepts it or not.
func TestParsePlainLeavesTheRestToParseTree(t *testing.T) {
	for name, body := range nonPlainBodies {
		if _, ok, err := parsePlain([]byte(body)); ok || err != nil {
			t.Errorf("%s: read as plain (refused: %v)", name, err)
		}
	}
}

// TestDecodeKeepalivePlain: a keepalive decodes the same through the fast path as the
// full decoder reads it.
func TestDecodeKeepalivePlain(t *testing.T) {
	body := []byte(plainBodies["keepalive, GB2312 declaration, CRLF"])
	m, err := Decode(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Root != "Notify" || m.CmdType != "Keepalive" || m.SN != 43 || m.DeviceID != "34020000001320000001" || m.Status != "OK" || m.Charset != CharsetGB2312 {
		t.Errorf("decoded %+v", m)
	}
}

// FuzzParsePlainMatchesParseTree: whatever parsePlain reads, parseTree reads too, into
// the same tree, and whatever parsePlain refuses, parseTree refuses with the same error.
// Seeded with the tables above, the refused bodies and testdata/bodies.
func FuzzParsePlainMatchesParseTree(f *testing.F) {
	for _, body := range plainBodies {
		f.Add([]byte(body))
	}
	for _, body := range nonPlainBodies {
		f.Add([]byte(body))
	}
	for _, body := range refusedPlainBodies {
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
		plain, ok, plainErr := parsePlain(text)
		tree, err := parseTree(text)
		if plainErr != nil {
			if err == nil || err.Error() != plainErr.Error() {
				t.Fatalf("parsePlain refused %q (%v), parseTree: %v", text, plainErr, err)
			}
			return
		}
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("parsePlain read %q, parseTree refuses it: %v", text, err)
		}
		if diff := treeDiff(plain, tree); diff != "" {
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
	case got.attrs != nil && got.attrs.num != want.attrs.num:
		return "<" + got.name + "> Num " + got.attrs.num + ", want " + want.attrs.num
	}
	if d := treeDiff(got.first, want.first); d != "" {
		return d
	}
	return treeDiff(got.next, want.next)
}

// BenchmarkParse reads bodies by the fast path and by encoding/xml, side by side: a
// keepalive, the answers a registration's queries bring, and the largest parts of a
// catalog, a record list and an alarm status.
func BenchmarkParse(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{{"keepalive", []byte(plainBodies["keepalive, GB2312 declaration, CRLF"])}}
	for _, file := range []string{"netcam-devicestatus-response.xml", "netcam-configdownload-response.xml", "netcam-presetquery-response.xml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "bodies", file))
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, struct {
			name string
			body []byte
		}{strings.TrimSuffix(file, ".xml"), raw})
	}
	bodies = append(bodies, realBodies(b)...)
	for _, c := range bodies {
		text, _, err := toUTF8(c.body, declaredEncoding(c.body))
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range []struct {
			name  string
			parse func([]byte) bool
		}{
			{"parsePlain", func(t []byte) bool { _, ok, _ := parsePlain(t); return ok }},
			{"parseTree", func(t []byte) bool { _, err := parseTree(t); return err == nil }},
		} {
			b.Run(c.name+"/"+p.name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					if !p.parse(text) {
						b.Fatal("not parsed")
					}
				}
			})
		}
	}
}
