package manscdp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// gbk returns s encoded as GBK, as a GB2312-declaring device would send it.
func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding test input: %v", err)
	}
	return b
}

const keepaliveDoc = `<?xml version="1.0" encoding="GB2312"?>
<Notify><CmdType>Keepalive</CmdType><SN>43</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>`

func catalogDoc(decl string) string {
	return `<?xml version="1.0"` + decl + `?>
<Response>
<CmdType>Catalog</CmdType>
<SN>17</SN>
<DeviceID>34020000001180000001</DeviceID>
<SumNum>40</SumNum>
<DeviceList Num="2">
<Item><DeviceID>34020000001310000001</DeviceID><Name>北京西站南广场摄像机</Name><Parental>0</Parental><Status>ON</Status></Item>
<Item><DeviceID>34020000001310000002</DeviceID><Name>東門 通道二</Name><Status>OFF</Status></Item>
</DeviceList>
</Response>`
}

func TestDecode(t *testing.T) {
	wantCatalog := &Catalog{DeviceID: "34020000001180000001", SumNum: 40, Items: []CatalogItem{
		{DeviceID: "34020000001310000001", Name: "北京西站南广场摄像机", Status: "ON"},
		{DeviceID: "34020000001310000002", Name: "東門 通道二", Status: "OFF"},
	}}
	keepalive := &Message{Root: "Notify", CmdType: "Keepalive", SN: 43, DeviceID: "34020000001320000001", Status: "OK", Charset: CharsetGB2312}

	tests := []struct {
		name    string
		body    []byte
		charset string
		want    *Message
		wantErr error
	}{
		{name: "keepalive as in the reference", body: []byte(keepaliveDoc), want: keepalive},
		{
			name: "lower-case names, whitespace, no declaration",
			body: []byte("\r\n <notify>\n\t<cmdtype> keepalive </CmdType>\n<sn> 43 </sn>\n<deviceid>34020000001320000001\n</deviceid><status>OK</status></notify>"),
			want: &Message{Root: "Notify", CmdType: "Keepalive", SN: 43, DeviceID: "34020000001320000001", Status: "OK", Charset: CharsetUTF8},
		},
		{
			name: "UTF-8 byte order mark",
			body: append([]byte("\xef\xbb\xbf"), keepaliveDoc...),
			want: &Message{Root: "Notify", CmdType: "Keepalive", SN: 43, DeviceID: "34020000001320000001", Status: "OK", Charset: CharsetUTF8},
		},
		{
			name: "catalog declared GB2312, sent GBK",
			body: gbk(t, catalogDoc(` encoding="GB2312"`)),
			want: &Message{Root: "Response", CmdType: "Catalog", SN: 17, DeviceID: "34020000001180000001", Catalog: wantCatalog, ListNum: 2, Charset: CharsetGB18030},
		},
		{
			name: "catalog declared GB2312, sent UTF-8 (mislabelled)",
			body: []byte(catalogDoc(` encoding="GB2312"`)),
			want: &Message{Root: "Response", CmdType: "Catalog", SN: 17, DeviceID: "34020000001180000001", Catalog: wantCatalog, ListNum: 2, Charset: CharsetUTF8},
		},
		{
			name: "catalog declared UTF-8, sent GBK (mislabelled)",
			body: gbk(t, catalogDoc(` encoding="UTF-8"`)),
			want: &Message{Root: "Response", CmdType: "Catalog", SN: 17, DeviceID: "34020000001180000001", Catalog: wantCatalog, ListNum: 2, Charset: CharsetGB18030},
		},
		{
			name:    "no declaration, GBK, Content-Type charset only",
			body:    gbk(t, catalogDoc("")),
			charset: "gbk",
			want:    &Message{Root: "Response", CmdType: "Catalog", SN: 17, DeviceID: "34020000001180000001", Catalog: wantCatalog, ListNum: 2, Charset: CharsetGB18030},
		},
		{
			name:    "unknown label falls back",
			body:    gbk(t, catalogDoc(` encoding="Big5-HKSCS"`)),
			charset: "",
			want:    &Message{Root: "Response", CmdType: "Catalog", SN: 17, DeviceID: "34020000001180000001", Catalog: wantCatalog, ListNum: 2, Charset: CharsetGB18030},
		},
		{
			name: "device info",
			body: gbk(t, `<?xml version="1.0" encoding="GB2312"?><Response><CmdType>DeviceInfo</CmdType><SN>7</SN><DeviceID>34020000001320000001</DeviceID><DeviceName>大门 IPC</DeviceName><Result>OK</Result><Manufacturer>海康威视</Manufacturer><Model>DS-2CD</Model><Firmware>V5.5</Firmware><Channel>1</Channel></Response>`),
			want: &Message{Root: "Response", CmdType: "DeviceInfo", SN: 7, DeviceID: "34020000001320000001", Charset: CharsetGB18030,
				DeviceInfo: &DeviceInfo{DeviceID: "34020000001320000001", DeviceName: "大门 IPC", Manufacturer: "海康威视", Model: "DS-2CD", Firmware: "V5.5", Channel: 1, Result: "OK"}},
		},
		{
			name: "catalog without SumNum is complete in itself",
			body: []byte(`<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>1</DeviceID><DeviceList Num="1"><Item><DeviceID>2</DeviceID></Item></DeviceList></Response>`),
			want: &Message{Root: "Response", CmdType: "Catalog", SN: 1, DeviceID: "1", ListNum: 1, Charset: CharsetUTF8,
				Catalog: &Catalog{DeviceID: "1", SumNum: 1, Items: []CatalogItem{{DeviceID: "2"}}}},
		},
		{
			name: "undefined entity stays literal, never expanded",
			body: []byte(`<Notify><CmdType>Alarm</CmdType><SN>2</SN><DeviceID>A&xxe;B</DeviceID></Notify>`),
			want: &Message{Root: "Notify", CmdType: "Alarm", SN: 2, DeviceID: "A&xxe;B", Charset: CharsetUTF8},
		},
		{
			name: "predefined entities and trailing NULs",
			body: []byte("<Notify><CmdType>Alarm</CmdType><SN>3</SN><DeviceID>a&amp;b&#x4E2D;</DeviceID></Notify>\x00\x00"),
			want: &Message{Root: "Notify", CmdType: "Alarm", SN: 3, DeviceID: "a&b中", Charset: CharsetUTF8},
		},
		{
			name: "query",
			body: []byte(`<?xml version="1.0"?><Query><CmdType>CATALOG</CmdType><SN>9</SN><DeviceID>x</DeviceID></Query>`),
			want: &Message{Root: "Query", CmdType: "Catalog", SN: 9, DeviceID: "x", Charset: CharsetUTF8},
		},
		{name: "empty", body: nil, wantErr: ErrMalformed},
		{name: "not XML", body: []byte("REGISTER sip:x SIP/2.0"), wantErr: ErrMalformed},
		{name: "unclosed root", body: []byte(`<Notify><CmdType>Keepalive</CmdType>`), wantErr: ErrMalformed},
		{name: "mismatched tags", body: []byte(`<Notify><CmdType>Keepalive</SN></Notify>`), wantErr: ErrMalformed},
		{name: "end tag of an element not open", body: []byte(`<Notify><CmdType>Keepalive</CmdType></SN></Notify>`), wantErr: ErrMalformed},
		{name: "no CmdType", body: []byte(`<Notify><SN>1</SN></Notify>`), wantErr: ErrMalformed},
		{name: "non-numeric SN", body: []byte(`<Notify><CmdType>Keepalive</CmdType><SN>x1</SN></Notify>`), wantErr: ErrMalformed},
		{name: "non-numeric SumNum", body: []byte(`<Response><CmdType>Catalog</CmdType><SN>1</SN><SumNum>many</SumNum></Response>`), wantErr: ErrMalformed},
		{name: "negative SumNum", body: []byte(`<Response><CmdType>Catalog</CmdType><SN>1</SN><SumNum>-1</SumNum></Response>`), wantErr: ErrMalformed},
		{name: "too deep", body: []byte(strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)), wantErr: ErrMalformed},
		{name: "oversized", body: []byte(`<Notify><CmdType>Keepalive</CmdType><X>` + strings.Repeat("x", MaxBodySize) + `</X></Notify>`), wantErr: ErrTooLarge},
		{
			name: "billion laughs",
			body: []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>&lol3;</DeviceID></Notify>`),
			wantErr: ErrForbidden,
		},
		{
			name:    "external entity",
			body:    []byte(`<?xml version="1.0"?><!DOCTYPE n [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Notify><CmdType>Keepalive</CmdType><DeviceID>&xxe;</DeviceID></Notify>`),
			wantErr: ErrForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.body, tt.charset)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", got, tt.want)
				if got.Catalog != nil && tt.want.Catalog != nil {
					t.Errorf("catalog %+v, want %+v", *got.Catalog, *tt.want.Catalog)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	info := DeviceInfo{DeviceID: "34020000001320000001", DeviceName: "前门广场 <1号> & 摄像机", Manufacturer: "大华", Model: "DH-IPC", Firmware: "2.800", Channel: 1, Result: "OK"}
	items := []CatalogItem{
		{DeviceID: "34020000001310000001", Name: "一号通道", Manufacturer: "海康威视", Model: "DS", Owner: "公安", CivilCode: "340200", Address: "中山路 12 号", Parental: 0, ParentID: "34020000001180000001", RegisterWay: 1, Secrecy: 0, Status: "ON"},
		{DeviceID: "34020000002150000001", Name: "业务分组", Parental: 1, Status: "OFF"},
	}
	for _, tc := range []struct {
		charset, decl string
		rawUTF8       bool // the encoded bytes are UTF-8
	}{
		{"", CharsetGB2312, false},
		{"gb2312", CharsetGB2312, false},
		{"GBK", CharsetGBK, false},
		{"gb18030", CharsetGB18030, false},
		{"utf-8", CharsetUTF8, true},
		{"UTF8", CharsetUTF8, true},
	} {
		t.Run("charset="+tc.charset, func(t *testing.T) {
			check := func(body []byte) {
				t.Helper()
				if want := `<?xml version="1.0" encoding="` + tc.decl + `"?>`; !bytes.HasPrefix(body, []byte(want)) {
					t.Errorf("body starts %q, want %q", body[:min(len(body), 60)], want)
				}
				if utf8.Valid(body) != tc.rawUTF8 {
					t.Errorf("body valid UTF-8 = %v, want %v", utf8.Valid(body), tc.rawUTF8)
				}
			}

			body, err := EncodeDeviceInfoResponse(5, info, tc.charset)
			if err != nil {
				t.Fatal(err)
			}
			check(body)
			m, err := Decode(body, "")
			if err != nil {
				t.Fatal(err)
			}
			if m.Root != "Response" || m.CmdType != "DeviceInfo" || m.SN != 5 || m.DeviceInfo == nil || *m.DeviceInfo != info {
				t.Errorf("DeviceInfo round trip = %+v %+v", m, m.DeviceInfo)
			}

			body, err = EncodeCatalogResponse(6, "34020000001180000001", 30, items, tc.charset)
			if err != nil {
				t.Fatal(err)
			}
			check(body)
			m, err = Decode(body, "")
			if err != nil {
				t.Fatal(err)
			}
			want := &Catalog{DeviceID: "34020000001180000001", SumNum: 30, Items: items}
			if m.SN != 6 || m.ListNum != len(items) || !reflect.DeepEqual(m.Catalog, want) {
				t.Errorf("Catalog round trip = %+v %+v", m, m.Catalog)
			}

			body, err = EncodeKeepalive(8, "34020000001320000001", tc.charset)
			if err != nil {
				t.Fatal(err)
			}
			m, err = Decode(body, "")
			if err != nil {
				t.Fatal(err)
			}
			if m.Root != "Notify" || m.CmdType != "Keepalive" || m.SN != 8 || m.Status != "OK" || m.DeviceID != "34020000001320000001" {
				t.Errorf("Keepalive round trip = %+v", m)
			}
		})
	}
}

func TestEncodeCharsetErrors(t *testing.T) {
	// U+20000 is in GB18030 but not in GBK/GB2312.
	info := DeviceInfo{DeviceID: "1", DeviceName: "𠀀号"}
	for _, tc := range []struct {
		charset string
		wantErr error
	}{
		{"gb2312", ErrCharset},
		{"gbk", ErrCharset},
		{"gb18030", nil},
		{"utf-8", nil},
		{"latin1", ErrCharset},
	} {
		body, err := EncodeDeviceInfoResponse(1, info, tc.charset)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("charset %s: error %v, want %v", tc.charset, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		m, err := Decode(body, "")
		if err != nil || m.DeviceInfo.DeviceName != info.DeviceName {
			t.Errorf("charset %s: decoded %+v, %v", tc.charset, m, err)
		}
	}
}

func TestEncodeTooLarge(t *testing.T) {
	items := make([]CatalogItem, 400)
	for i := range items {
		items[i] = CatalogItem{DeviceID: "34020000001310000001", Name: strings.Repeat("通道", 40)}
	}
	if _, err := EncodeCatalogResponse(1, "1", 400, items, ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
}

func TestEncodeQuery(t *testing.T) {
	body := EncodeQuery("Catalog", 17, "34020000001320000001")
	want := "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n</Query>\r\n"
	if string(body) != want {
		t.Errorf("EncodeQuery = %q, want %q", body, want)
	}
	m, err := Decode(body, "")
	if err != nil || m.Root != "Query" || m.CmdType != "Catalog" || m.SN != 17 {
		t.Errorf("Decode(EncodeQuery) = %+v, %v", m, err)
	}
}

func TestDeclaredEncoding(t *testing.T) {
	for in, want := range map[string]string{
		`<?xml version="1.0" encoding="GB2312"?><a/>`:     "GB2312",
		`<?xml version='1.0' encoding = 'gbk' ?><a/>`:     "gbk",
		" \r\n<?xml version=\"1.0\" ENCODING=\"UTF-8\"?>": "UTF-8",
		`<?xml version="1.0"?><a encoding="x"/>`:          "",
		`<a/>`:                                            "",
		`<?xml version="1.0" encoding="GB2312"`:           "",
	} {
		if got := declaredEncoding([]byte(in)); got != want {
			t.Errorf("declaredEncoding(%q) = %q, want %q", in, got, want)
		}
	}
}
