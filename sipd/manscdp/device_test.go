package manscdp

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestDeviceBodiesRoundTrip encodes each answer and Notify a device (the simulator)
// sends, in every charset, and checks that the platform decodes exactly what was sent.
func TestDeviceBodiesRoundTrip(t *testing.T) {
	const dev, ch = "34020000001180000001", "34020000001320000001"
	status := DeviceStatus{DeviceID: dev, Result: ResultOK, Online: Online, Status: StatusError, Reason: "磁盘故障", Encode: On, Record: Off,
		DeviceTime: "2026-12-03T08:15:30", Alarms: []AlarmStatus{{DeviceID: "34020000001340000001", DutyStatus: DutyAlarm}, {DeviceID: "34020000001340000002", DutyStatus: DutyOn}}}
	param := BasicParam{Name: "大门 <IPC> & 1", DeviceID: dev, SIPServerID: "34020000002000000001", SIPServerIP: "127.0.0.1", SIPServerPort: 5060,
		DomainName: "3402000000", Expiration: 3600, HeartBeatInterval: 60, HeartBeatCount: 3, PositionCapability: 1, Longitude: 116.397128, Latitude: 39.916527}
	records := RecordInfo{DeviceID: ch, Name: "大门", SumNum: 7, Items: []RecordItem{
		{DeviceID: ch, Name: "大门", FilePath: "/sd/1.ps", Address: "东门", StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T08:30:00",
			Secrecy: 0, Type: RecordTime, RecorderID: ch, FileSize: 5 << 30},
		{DeviceID: ch, Name: "大门", StartTime: "2026-12-03T08:30:00", EndTime: "2026-12-03T09:00:00", Type: RecordAlarm},
	}}
	presets := []Preset{{ID: 1, Name: "大门"}, {ID: 255, Name: ""}}
	alarm := Alarm{DeviceID: "34020000001340000001", Priority: 2, Method: AlarmMethodVideo, Time: "2026-12-03T08:20:11", Description: "有人 & 物",
		Longitude: 116.3, Latitude: -39.9, Type: 6, EventType: 2}
	items := []CatalogItem{
		{DeviceID: ch, Name: "一号", Manufacturer: "海康", Parental: 0, ParentID: dev, RegisterWay: 1, Status: "OFF", Event: EventOff},
		{DeviceID: "34020000001320000002", Name: "二号", Status: "ON", Event: EventAdd},
	}
	position := MobilePosition{DeviceID: dev, Time: "2026-12-03T08:20:11", Longitude: 116.397128, Latitude: 39.916527, Speed: 42.5, Direction: 270, Altitude: -3}

	for _, charset := range []string{"", CharsetGBK, CharsetGB18030, CharsetUTF8} {
		cs := map[string]string{"": CharsetGB18030, CharsetGBK: CharsetGB18030, CharsetGB18030: CharsetGB18030, CharsetUTF8: CharsetUTF8}[charset]
		tests := []struct {
			name   string
			encode func() ([]byte, error)
			want   *Message
		}{
			{
				name:   "DeviceStatus",
				encode: func() ([]byte, error) { return EncodeDeviceStatusResponse(1, status, charset) },
				want: &Message{Root: "Response", CmdType: "DeviceStatus", SN: 1, DeviceID: dev, Status: StatusError, Result: ResultOK, ListNum: 2,
					Charset: cs, DeviceStatus: &status},
			},
			{
				name:   "ConfigDownload",
				encode: func() ([]byte, error) { return EncodeConfigDownloadResponse(2, dev, param, charset) },
				want:   &Message{Root: "Response", CmdType: "ConfigDownload", SN: 2, DeviceID: dev, Result: ResultOK, Charset: cs, BasicParam: &param},
			},
			{
				name:   "RecordInfo part",
				encode: func() ([]byte, error) { return EncodeRecordInfoResponse(3, records, charset) },
				want:   &Message{Root: "Response", CmdType: "RecordInfo", SN: 3, DeviceID: ch, ListNum: 2, Charset: cs, Records: &records},
			},
			{
				name:   "PresetQuery",
				encode: func() ([]byte, error) { return EncodePresetQueryResponse(4, ch, presets, charset) },
				want:   &Message{Root: "Response", CmdType: "PresetQuery", SN: 4, DeviceID: ch, ListNum: 2, Charset: cs, Presets: &PresetList{DeviceID: ch, Items: presets}},
			},
			{
				name:   "Alarm Notify",
				encode: func() ([]byte, error) { return EncodeAlarmNotify(5, alarm, charset) },
				want:   &Message{Root: "Notify", CmdType: "Alarm", SN: 5, DeviceID: alarm.DeviceID, Charset: cs, Alarm: &alarm},
			},
			{
				name:   "Catalog Notify with events",
				encode: func() ([]byte, error) { return EncodeCatalogNotify(6, dev, 2, items, charset) },
				want: &Message{Root: "Notify", CmdType: "Catalog", SN: 6, DeviceID: dev, ListNum: 2, Charset: cs,
					Catalog: &Catalog{DeviceID: dev, SumNum: 2, Items: items}},
			},
			{
				name:   "MobilePosition Notify",
				encode: func() ([]byte, error) { return EncodeMobilePositionNotify(7, position, charset) },
				want:   &Message{Root: "Notify", CmdType: "MobilePosition", SN: 7, DeviceID: dev, Charset: canonicalOrASCII(charset), Position: &position},
			},
			{
				name:   "MediaStatus Notify",
				encode: func() ([]byte, error) { return EncodeMediaStatusNotify(8, ch, charset) },
				want:   &Message{Root: "Notify", CmdType: "MediaStatus", SN: 8, DeviceID: ch, NotifyType: NotifyTypeEndOfFile, Charset: canonicalOrASCII(charset)},
			},
			{
				name:   "DeviceControl result",
				encode: func() ([]byte, error) { return EncodeResultResponse("DeviceControl", 9, ch, true, charset) },
				want:   &Message{Root: "Response", CmdType: "DeviceControl", SN: 9, DeviceID: ch, Result: ResultOK, Charset: canonicalOrASCII(charset)},
			},
			{
				name:   "DeviceConfig failure",
				encode: func() ([]byte, error) { return EncodeResultResponse("DeviceConfig", 10, ch, false, charset) },
				want:   &Message{Root: "Response", CmdType: "DeviceConfig", SN: 10, DeviceID: ch, Result: ResultError, Charset: canonicalOrASCII(charset)},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name+"/charset="+charset, func(t *testing.T) {
				body, err := tt.encode()
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				got, err := Decode(body, "")
				if err != nil {
					t.Fatalf("Decode(%q): %v", body, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Decode =\n%s\nwant\n%s", dump(got), dump(tt.want))
				}
			})
		}
	}
}

// canonicalOrASCII is the Charset Decode reports for a pure ASCII body: its declared
// label (GB2312 when the encoder was asked for the default).
func canonicalOrASCII(charset string) string {
	if charset == "" {
		return CharsetGB2312
	}
	return canonicalCharset(charset)
}

func TestMediaStatusBody(t *testing.T) {
	body, err := EncodeMediaStatusNotify(8, "34020000001320000001", "")
	if err != nil {
		t.Fatal(err)
	}
	want := doc("<Notify>", "<CmdType>MediaStatus</CmdType>", "<SN>8</SN>", "<DeviceID>34020000001320000001</DeviceID>", "<NotifyType>121</NotifyType>", "</Notify>")
	if string(body) != want {
		t.Errorf("body = %q, want %q", body, want)
	}
}

// TestRecordInfoParts splits an answer the way devices do and checks the platform can
// join it: every part carries the total, the items come back complete and in order.
func TestRecordInfoParts(t *testing.T) {
	const ch = "34020000001320000001"
	item := func(i int) RecordItem {
		start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		return RecordItem{DeviceID: ch, Name: "大门", StartTime: FormatTime(start, time.UTC), EndTime: FormatTime(start.Add(time.Hour), time.UTC), Type: RecordTime}
	}
	for _, tc := range []struct {
		n, perPart int
		wantParts  []int // items per part
	}{
		{0, 8, []int{0}},
		{1, 8, []int{1}},
		{8, 8, []int{8}},
		{9, 8, []int{8, 1}},
		{5, 2, []int{2, 2, 1}},
		{3, 1, []int{1, 1, 1}},
	} {
		items := make([]RecordItem, tc.n)
		for i := range items {
			items[i] = item(i)
		}
		parts, err := EncodeRecordInfoParts(77, ch, "大门", items, tc.perPart, "")
		if err != nil {
			t.Fatalf("%d items by %d: %v", tc.n, tc.perPart, err)
		}
		if len(parts) != len(tc.wantParts) {
			t.Fatalf("%d items by %d: %d parts, want %d", tc.n, tc.perPart, len(parts), len(tc.wantParts))
		}
		var joined []RecordItem
		for i, p := range parts {
			m, err := Decode(p, "")
			if err != nil {
				t.Fatal(err)
			}
			if m.SN != 77 || m.Records.SumNum != tc.n || len(m.Records.Items) != tc.wantParts[i] || m.ListNum != tc.wantParts[i] {
				t.Errorf("%d items by %d, part %d: SN %d SumNum %d items %d Num %d", tc.n, tc.perPart, i, m.SN, m.Records.SumNum, len(m.Records.Items), m.ListNum)
			}
			joined = append(joined, m.Records.Items...)
		}
		if len(items) == 0 {
			items = nil
		}
		if !reflect.DeepEqual(joined, items) {
			t.Errorf("%d items by %d: joined %+v, want %+v", tc.n, tc.perPart, joined, items)
		}
	}
	if _, err := EncodeRecordInfoParts(1, ch, "", nil, 0, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("0 items per part: %v, want ErrInvalid", err)
	}
}

func TestDeviceEncodersRefuse(t *testing.T) {
	const ch = "34020000001320000001"
	goodItem := RecordItem{DeviceID: ch, StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T09:00:00"}
	withItem := func(f func(*RecordItem)) RecordInfo {
		it := goodItem
		f(&it)
		return RecordInfo{DeviceID: ch, SumNum: 1, Items: []RecordItem{it}}
	}
	for name, encode := range map[string]func() ([]byte, error){
		"status without DeviceID": func() ([]byte, error) { return EncodeDeviceStatusResponse(1, DeviceStatus{Online: Online}, "") },
		"status online yes": func() ([]byte, error) {
			return EncodeDeviceStatusResponse(1, DeviceStatus{DeviceID: ch, Online: "YES"}, "")
		},
		"status record maybe": func() ([]byte, error) {
			return EncodeDeviceStatusResponse(1, DeviceStatus{DeviceID: ch, Online: Online, Record: "MAYBE"}, "")
		},
		"status bad time": func() ([]byte, error) {
			return EncodeDeviceStatusResponse(1, DeviceStatus{DeviceID: ch, Online: Online, DeviceTime: "yesterday"}, "")
		},
		"status bad duty": func() ([]byte, error) {
			return EncodeDeviceStatusResponse(1, DeviceStatus{DeviceID: ch, Online: Online, Alarms: []AlarmStatus{{DeviceID: ch, DutyStatus: "ARMED"}}}, "")
		},
		"records SumNum short": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, RecordInfo{DeviceID: ch, SumNum: 0, Items: []RecordItem{goodItem}}, "")
		},
		"record without times": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, withItem(func(it *RecordItem) { it.EndTime = "" }), "")
		},
		"record bad time": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, withItem(func(it *RecordItem) { it.StartTime = "8am" }), "")
		},
		"record bad type": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, withItem(func(it *RecordItem) { it.Type = "motion" }), "")
		},
		"record negative size": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, withItem(func(it *RecordItem) { it.FileSize = -1 }), "")
		},
		"record without device": func() ([]byte, error) {
			return EncodeRecordInfoResponse(1, withItem(func(it *RecordItem) { it.DeviceID = "" }), "")
		},
		"preset 0": func() ([]byte, error) { return EncodePresetQueryResponse(1, ch, []Preset{{ID: 0}}, "") },
		"alarm priority 0": func() ([]byte, error) {
			return EncodeAlarmNotify(1, Alarm{DeviceID: ch, Method: 1, Time: "2026-12-03T08:00:00"}, "")
		},
		"alarm method 8": func() ([]byte, error) {
			return EncodeAlarmNotify(1, Alarm{DeviceID: ch, Priority: 1, Method: 8, Time: "2026-12-03T08:00:00"}, "")
		},
		"alarm without time": func() ([]byte, error) { return EncodeAlarmNotify(1, Alarm{DeviceID: ch, Priority: 1, Method: 1}, "") },
		"alarm event without type": func() ([]byte, error) {
			return EncodeAlarmNotify(1, Alarm{DeviceID: ch, Priority: 1, Method: 5, Time: "2026-12-03T08:00:00", EventType: 1}, "")
		},
		"catalog event missing": func() ([]byte, error) {
			return EncodeCatalogNotify(1, ch, 1, []CatalogItem{{DeviceID: ch}}, "")
		},
		"catalog event lower case": func() ([]byte, error) {
			return EncodeCatalogNotify(1, ch, 1, []CatalogItem{{DeviceID: ch, Event: "add"}}, "")
		},
		"catalog SumNum short": func() ([]byte, error) {
			return EncodeCatalogNotify(1, ch, 0, []CatalogItem{{DeviceID: ch, Event: EventAdd}}, "")
		},
		"position without time":    func() ([]byte, error) { return EncodeMobilePositionNotify(1, MobilePosition{DeviceID: ch}, "") },
		"media status without id":  func() ([]byte, error) { return EncodeMediaStatusNotify(1, "", "") },
		"result of a Keepalive":    func() ([]byte, error) { return EncodeResultResponse("Keepalive", 1, ch, true, "") },
		"config without device id": func() ([]byte, error) { return EncodeConfigDownloadResponse(1, "", BasicParam{}, "") },
	} {
		if body, err := encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %q, %v; want ErrInvalid", name, body, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 12, 3, 8, 15, 30, 0, cst)
	for _, s := range []string{
		"2026-12-03T08:15:30",
		" 2026-12-03T08:15:30\r\n",
		"2026-12-03 08:15:30",
		"2026-12-03T00:15:30Z",
		"2026-12-03T08:15:30+08:00",
	} {
		got, err := ParseTime(s, cst)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := ParseTime("2026-12-03T08:15:30.250", cst); err != nil || !got.Equal(want.Add(250*time.Millisecond)) {
		t.Errorf("fractional seconds: %v, %v", got, err)
	}
	if got, err := ParseTime("2026-12-03T08:15:30", nil); err != nil || !got.Equal(want.Add(8*time.Hour)) {
		t.Errorf("nil location reads as UTC: %v, %v", got, err)
	}
	for _, s := range []string{"", "now", "2026-13-03T08:15:30", "20261203T081530Z", "2026-12-03"} {
		if _, err := ParseTime(s, cst); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTime(%q) error %v, want ErrMalformed", s, err)
		}
	}
	if got := FormatTime(want, time.UTC); got != "2026-12-03T00:15:30" {
		t.Errorf("FormatTime = %q", got)
	}
}
