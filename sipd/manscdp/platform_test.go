package manscdp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// doc joins lines into a GB2312-declared body, CRLF-terminated, as the encoders write.
func doc(lines ...string) string {
	return `<?xml version="1.0" encoding="GB2312"?>` + "\r\n" + strings.Join(lines, "\r\n") + "\r\n"
}

var cst = time.FixedZone("CST", 8*3600)

// TestPlatformBodies pins every body a platform sends byte for byte (devices parse them
// with strstr as often as with XML parsers), and checks that the device side decodes
// each into what was meant.
func TestPlatformBodies(t *testing.T) {
	const ch = "34020000001320000001"
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC) // 08:00 in CST
	ptz := func(in PTZInstruction) ControlCommand { return PTZControl{Cmd: NewPTZCmd(in)} }
	control := func(cmd ControlCommand) func() ([]byte, error) {
		return func() ([]byte, error) { return EncodeDeviceControl(11, ch, cmd) }
	}
	controlDoc := func(lines ...string) string {
		return doc(append(append([]string{"<Control>", "<CmdType>DeviceControl</CmdType>", "<SN>11</SN>", "<DeviceID>" + ch + "</DeviceID>"}, lines...), "</Control>")...)
	}
	controlMsg := func(cmd ControlCommand) *Message {
		return &Message{Root: "Control", CmdType: "DeviceControl", SN: 11, DeviceID: ch, Charset: CharsetGB2312, Control: cmd}
	}
	tests := []struct {
		name   string
		encode func() ([]byte, error)
		want   string
		got    *Message
	}{
		{
			name:   "DeviceStatus query",
			encode: func() ([]byte, error) { return EncodeDeviceStatusQuery(7, ch), nil },
			want:   doc("<Query>", "<CmdType>DeviceStatus</CmdType>", "<SN>7</SN>", "<DeviceID>"+ch+"</DeviceID>", "</Query>"),
			got:    &Message{Root: "Query", CmdType: "DeviceStatus", SN: 7, DeviceID: ch, Charset: CharsetGB2312},
		},
		{
			name:   "Catalog query (and SUBSCRIBE body)",
			encode: func() ([]byte, error) { return EncodeCatalogQuery(8, ch), nil },
			want:   doc("<Query>", "<CmdType>Catalog</CmdType>", "<SN>8</SN>", "<DeviceID>"+ch+"</DeviceID>", "</Query>"),
			got:    &Message{Root: "Query", CmdType: "Catalog", SN: 8, DeviceID: ch, Charset: CharsetGB2312},
		},
		{
			name:   "PresetQuery",
			encode: func() ([]byte, error) { return EncodePresetQuery(9, ch), nil },
			want:   doc("<Query>", "<CmdType>PresetQuery</CmdType>", "<SN>9</SN>", "<DeviceID>"+ch+"</DeviceID>", "</Query>"),
			got:    &Message{Root: "Query", CmdType: "PresetQuery", SN: 9, DeviceID: ch, Charset: CharsetGB2312},
		},
		{
			name:   "ConfigDownload query",
			encode: func() ([]byte, error) { return EncodeConfigDownloadQuery(10, ch, ConfigBasicParam) },
			want:   doc("<Query>", "<CmdType>ConfigDownload</CmdType>", "<SN>10</SN>", "<DeviceID>"+ch+"</DeviceID>", "<ConfigType>BasicParam</ConfigType>", "</Query>"),
			got:    &Message{Root: "Query", CmdType: "ConfigDownload", SN: 10, DeviceID: ch, ConfigType: "BasicParam", Charset: CharsetGB2312},
		},
		{
			name: "RecordInfo query in the device's zone, Type always written",
			encode: func() ([]byte, error) {
				return EncodeRecordInfoQuery(12, RecordQuery{DeviceID: ch, Start: start, End: start.Add(90 * time.Minute)}, cst)
			},
			want: doc("<Query>", "<CmdType>RecordInfo</CmdType>", "<SN>12</SN>", "<DeviceID>"+ch+"</DeviceID>",
				"<StartTime>2026-12-03T08:00:00</StartTime>", "<EndTime>2026-12-03T09:30:00</EndTime>", "<Secrecy>0</Secrecy>", "<Type>all</Type>", "</Query>"),
			got: &Message{Root: "Query", CmdType: "RecordInfo", SN: 12, DeviceID: ch, Charset: CharsetGB2312,
				RecordQuery: &RecordQueryBody{DeviceID: ch, StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T09:30:00", Type: RecordAll}},
		},
		{
			name: "RecordInfo query narrowed",
			encode: func() ([]byte, error) {
				return EncodeRecordInfoQuery(13, RecordQuery{DeviceID: ch, Start: start, End: start.Add(time.Hour), FilePath: "/rec/1",
					Address: "gate", Secrecy: 1, Type: RecordAlarm, RecorderID: "34020000001340000001"}, time.UTC)
			},
			want: doc("<Query>", "<CmdType>RecordInfo</CmdType>", "<SN>13</SN>", "<DeviceID>"+ch+"</DeviceID>",
				"<StartTime>2026-12-03T00:00:00</StartTime>", "<EndTime>2026-12-03T01:00:00</EndTime>", "<FilePath>/rec/1</FilePath>",
				"<Address>gate</Address>", "<Secrecy>1</Secrecy>", "<Type>alarm</Type>", "<RecorderID>34020000001340000001</RecorderID>", "</Query>"),
			got: &Message{Root: "Query", CmdType: "RecordInfo", SN: 13, DeviceID: ch, Charset: CharsetGB2312,
				RecordQuery: &RecordQueryBody{DeviceID: ch, StartTime: "2026-12-03T00:00:00", EndTime: "2026-12-03T01:00:00", FilePath: "/rec/1",
					Address: "gate", RecorderID: "34020000001340000001", Secrecy: 1, Type: RecordAlarm}},
		},
		{
			name:   "Alarm SUBSCRIBE body, all alarms",
			encode: func() ([]byte, error) { return EncodeAlarmQuery(14, AlarmQuery{DeviceID: ch}, nil) },
			want: doc("<Query>", "<CmdType>Alarm</CmdType>", "<SN>14</SN>", "<DeviceID>"+ch+"</DeviceID>",
				"<StartAlarmPriority>0</StartAlarmPriority>", "<EndAlarmPriority>0</EndAlarmPriority>", "<AlarmMethod>0</AlarmMethod>", "</Query>"),
			got: &Message{Root: "Query", CmdType: "Alarm", SN: 14, DeviceID: ch, Charset: CharsetGB2312,
				AlarmQuery: &AlarmQueryBody{DeviceID: ch, AlarmMethod: "0"}},
		},
		{
			name: "Alarm query with methods and times",
			encode: func() ([]byte, error) {
				return EncodeAlarmQuery(15, AlarmQuery{DeviceID: ch, StartPriority: 1, EndPriority: 3, Methods: []int{AlarmMethodDevice, AlarmMethodVideo},
					Type: 2, Start: start, End: start.Add(24 * time.Hour)}, cst)
			},
			want: doc("<Query>", "<CmdType>Alarm</CmdType>", "<SN>15</SN>", "<DeviceID>"+ch+"</DeviceID>",
				"<StartAlarmPriority>1</StartAlarmPriority>", "<EndAlarmPriority>3</EndAlarmPriority>", "<AlarmMethod>25</AlarmMethod>",
				"<AlarmType>2</AlarmType>", "<StartAlarmTime>2026-12-03T08:00:00</StartAlarmTime>", "<EndAlarmTime>2026-12-04T08:00:00</EndAlarmTime>", "</Query>"),
			got: &Message{Root: "Query", CmdType: "Alarm", SN: 15, DeviceID: ch, Charset: CharsetGB2312,
				AlarmQuery: &AlarmQueryBody{DeviceID: ch, StartAlarmPriority: 1, EndAlarmPriority: 3, AlarmMethod: "25", AlarmType: 2,
					StartAlarmTime: "2026-12-03T08:00:00", EndAlarmTime: "2026-12-04T08:00:00"}},
		},
		{
			name:   "MobilePosition SUBSCRIBE body",
			encode: func() ([]byte, error) { return EncodeMobilePositionQuery(16, ch, 5*time.Second) },
			want:   doc("<Query>", "<CmdType>MobilePosition</CmdType>", "<SN>16</SN>", "<DeviceID>"+ch+"</DeviceID>", "<Interval>5</Interval>", "</Query>"),
			got:    &Message{Root: "Query", CmdType: "MobilePosition", SN: 16, DeviceID: ch, Interval: 5, Charset: CharsetGB2312},
		},
		{
			name:   "PTZ with ControlPriority",
			encode: control(ptz(PTZMove{Pan: 32})),
			want:   controlDoc("<PTZCmd>A50F0101200000D6</PTZCmd>", "<Info>", "<ControlPriority>5</ControlPriority>", "</Info>"),
			got:    controlMsg(PTZControl{Cmd: NewPTZCmd(PTZMove{Pan: 32}), Priority: 5}),
		},
		{
			name:   "PTZ preset call at priority 1",
			encode: control(PTZControl{Cmd: NewPTZCmd(PresetGoto{Index: 1}), Priority: 1}),
			want:   controlDoc("<PTZCmd>A50F018200010038</PTZCmd>", "<Info>", "<ControlPriority>1</ControlPriority>", "</Info>"),
			got:    controlMsg(PTZControl{Cmd: NewPTZCmd(PresetGoto{Index: 1}), Priority: 1}),
		},
		{name: "TeleBoot", encode: control(TeleBoot{}), want: controlDoc("<TeleBoot>Boot</TeleBoot>"), got: controlMsg(TeleBoot{})},
		{name: "RecordCmd Record", encode: control(RecordStart), want: controlDoc("<RecordCmd>Record</RecordCmd>"), got: controlMsg(RecordStart)},
		{name: "RecordCmd StopRecord", encode: control(RecordStop), want: controlDoc("<RecordCmd>StopRecord</RecordCmd>"), got: controlMsg(RecordStop)},
		{name: "GuardCmd SetGuard", encode: control(GuardSet), want: controlDoc("<GuardCmd>SetGuard</GuardCmd>"), got: controlMsg(GuardSet)},
		{name: "GuardCmd ResetGuard", encode: control(GuardReset), want: controlDoc("<GuardCmd>ResetGuard</GuardCmd>"), got: controlMsg(GuardReset)},
		{name: "AlarmCmd", encode: control(ResetAlarm{}), want: controlDoc("<AlarmCmd>ResetAlarm</AlarmCmd>"), got: controlMsg(ResetAlarm{})},
		{
			name:   "AlarmCmd with Info",
			encode: control(ResetAlarm{Method: AlarmMethodVideo, Type: 2}),
			want:   controlDoc("<AlarmCmd>ResetAlarm</AlarmCmd>", "<Info>", "<AlarmMethod>5</AlarmMethod>", "<AlarmType>2</AlarmType>", "</Info>"),
			got:    controlMsg(ResetAlarm{Method: AlarmMethodVideo, Type: 2}),
		},
		{name: "IFameCmd, spelled so", encode: control(ForceIFrame{}), want: controlDoc("<IFameCmd>Send</IFameCmd>"), got: controlMsg(ForceIFrame{})},
		{
			name:   "HomePosition on",
			encode: control(HomePosition{Enabled: true, ResetTime: 30, PresetIndex: 2}),
			want:   controlDoc("<HomePosition>", "<Enabled>1</Enabled>", "<ResetTime>30</ResetTime>", "<PresetIndex>2</PresetIndex>", "</HomePosition>"),
			got:    controlMsg(HomePosition{Enabled: true, ResetTime: 30, PresetIndex: 2}),
		},
		{
			name:   "HomePosition off",
			encode: control(HomePosition{}),
			want:   controlDoc("<HomePosition>", "<Enabled>0</Enabled>", "</HomePosition>"),
			got:    controlMsg(HomePosition{}),
		},
		{
			name:   "DragZoomIn",
			encode: control(DragZoom{Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}),
			want: controlDoc("<DragZoomIn>", "<Length>1920</Length>", "<Width>1080</Width>", "<MidPointX>960</MidPointX>", "<MidPointY>540</MidPointY>",
				"<LengthX>200</LengthX>", "<LengthY>100</LengthY>", "</DragZoomIn>"),
			got: controlMsg(DragZoom{Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 200, LengthY: 100}),
		},
		{
			name:   "DragZoomOut",
			encode: control(DragZoom{Out: true, Length: 704, Width: 576, MidPointX: 1, MidPointY: 2, LengthX: 3, LengthY: 4}),
			want: controlDoc("<DragZoomOut>", "<Length>704</Length>", "<Width>576</Width>", "<MidPointX>1</MidPointX>", "<MidPointY>2</MidPointY>",
				"<LengthX>3</LengthX>", "<LengthY>4</LengthY>", "</DragZoomOut>"),
			got: controlMsg(DragZoom{Out: true, Length: 704, Width: 576, MidPointX: 1, MidPointY: 2, LengthX: 3, LengthY: 4}),
		},
		{
			name: "DeviceConfig BasicParam, zero fields left out",
			encode: func() ([]byte, error) {
				return EncodeDeviceConfig(17, ch, BasicConfig{HeartBeatInterval: 30, HeartBeatCount: 3})
			},
			want: doc("<Control>", "<CmdType>DeviceConfig</CmdType>", "<SN>17</SN>", "<DeviceID>"+ch+"</DeviceID>", "<BasicParam>",
				"<HeartBeatInterval>30</HeartBeatInterval>", "<HeartBeatCount>3</HeartBeatCount>", "</BasicParam>", "</Control>"),
			got: &Message{Root: "Control", CmdType: "DeviceConfig", SN: 17, DeviceID: ch, Charset: CharsetGB2312,
				BasicParam: &BasicParam{HeartBeatInterval: 30, HeartBeatCount: 3}},
		},
		{
			name:   "Alarm response",
			encode: func() ([]byte, error) { return EncodeAlarmResponse(18, ch) },
			want:   doc("<Response>", "<CmdType>Alarm</CmdType>", "<SN>18</SN>", "<DeviceID>"+ch+"</DeviceID>", "<Result>OK</Result>", "</Response>"),
			got:    &Message{Root: "Response", CmdType: "Alarm", SN: 18, DeviceID: ch, Result: ResultOK, Charset: CharsetGB2312},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if string(body) != tt.want {
				t.Errorf("body =\n%q\nwant\n%q", body, tt.want)
			}
			got, err := Decode(body, "")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.got) {
				t.Errorf("Decode =\n%s\nwant\n%s", dump(got), dump(tt.got))
			}
		})
	}
}

func TestDeviceConfigNameInGBK(t *testing.T) {
	body, err := EncodeDeviceConfig(1, "34020000001320000001", BasicConfig{Name: "东门 1号", Expiration: 3600})
	if err != nil {
		t.Fatal(err)
	}
	want := gbk(t, doc("<Control>", "<CmdType>DeviceConfig</CmdType>", "<SN>1</SN>", "<DeviceID>34020000001320000001</DeviceID>",
		"<BasicParam>", "<Name>东门 1号</Name>", "<Expiration>3600</Expiration>", "</BasicParam>", "</Control>"))
	if string(body) != string(want) {
		t.Errorf("body = %q, want %q", body, want)
	}
	if _, err := EncodeDeviceConfig(1, "34020000001320000001", BasicConfig{Name: "𠀀"}); !errors.Is(err, ErrCharset) {
		t.Errorf("a name outside GBK: error %v, want ErrCharset", err)
	}
}

// TestPlatformEncodersRefuse checks that no platform encoder builds a body a device
// would reject or misread.
func TestPlatformEncodersRefuse(t *testing.T) {
	const ch = "34020000001320000001"
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, cst)
	for name, encode := range map[string]func() ([]byte, error){
		"ConfigDownload without DeviceID": func() ([]byte, error) { return EncodeConfigDownloadQuery(1, " ", ConfigBasicParam) },
		"unknown ConfigType":              func() ([]byte, error) { return EncodeConfigDownloadQuery(1, ch, "Everything") },
		"RecordInfo without location": func() ([]byte, error) {
			return EncodeRecordInfoQuery(1, RecordQuery{DeviceID: ch, Start: start, End: start.Add(time.Hour)}, nil)
		},
		"RecordInfo window reversed": func() ([]byte, error) {
			return EncodeRecordInfoQuery(1, RecordQuery{DeviceID: ch, Start: start, End: start.Add(-time.Hour)}, cst)
		},
		"RecordInfo without start": func() ([]byte, error) {
			return EncodeRecordInfoQuery(1, RecordQuery{DeviceID: ch, End: start}, cst)
		},
		"RecordInfo unknown type": func() ([]byte, error) {
			return EncodeRecordInfoQuery(1, RecordQuery{DeviceID: ch, Start: start, End: start.Add(time.Hour), Type: "motion"}, cst)
		},
		"RecordInfo secrecy 2": func() ([]byte, error) {
			return EncodeRecordInfoQuery(1, RecordQuery{DeviceID: ch, Start: start, End: start.Add(time.Hour), Secrecy: 2}, cst)
		},
		"Alarm priority 5": func() ([]byte, error) { return EncodeAlarmQuery(1, AlarmQuery{DeviceID: ch, EndPriority: 5}, nil) },
		"Alarm priorities reversed": func() ([]byte, error) {
			return EncodeAlarmQuery(1, AlarmQuery{DeviceID: ch, StartPriority: 3, EndPriority: 1}, nil)
		},
		"Alarm method 8": func() ([]byte, error) { return EncodeAlarmQuery(1, AlarmQuery{DeviceID: ch, Methods: []int{8}}, nil) },
		"Alarm times without location": func() ([]byte, error) {
			return EncodeAlarmQuery(1, AlarmQuery{DeviceID: ch, Start: start}, nil)
		},
		"Alarm window reversed": func() ([]byte, error) {
			return EncodeAlarmQuery(1, AlarmQuery{DeviceID: ch, Start: start, End: start}, cst)
		},
		"position interval under a second": func() ([]byte, error) { return EncodeMobilePositionQuery(1, ch, 500*time.Millisecond) },
		"DeviceControl without command":    func() ([]byte, error) { return EncodeDeviceControl(1, ch, nil) },
		"DeviceControl without DeviceID":   func() ([]byte, error) { return EncodeDeviceControl(1, "", TeleBoot{}) },
		"bad PTZ":                          func() ([]byte, error) { return EncodeDeviceControl(1, ch, PTZControl{Cmd: NewPTZCmd(PresetSet{})}) },
		"PTZ priority 6": func() ([]byte, error) {
			return EncodeDeviceControl(1, ch, PTZControl{Cmd: NewPTZCmd(PTZMove{}), Priority: 6})
		},
		"RecordCmd typo":      func() ([]byte, error) { return EncodeDeviceControl(1, ch, RecordCmd("record")) },
		"GuardCmd typo":       func() ([]byte, error) { return EncodeDeviceControl(1, ch, GuardCmd("Arm")) },
		"ResetAlarm method 9": func() ([]byte, error) { return EncodeDeviceControl(1, ch, ResetAlarm{Method: 9}) },
		"HomePosition preset 256": func() ([]byte, error) {
			return EncodeDeviceControl(1, ch, HomePosition{Enabled: true, PresetIndex: 256})
		},
		"HomePosition negative":    func() ([]byte, error) { return EncodeDeviceControl(1, ch, HomePosition{Enabled: true, ResetTime: -1}) },
		"DragZoom without picture": func() ([]byte, error) { return EncodeDeviceControl(1, ch, DragZoom{LengthX: 1}) },
		"DragZoom negative": func() ([]byte, error) {
			return EncodeDeviceControl(1, ch, DragZoom{Length: 1, Width: 1, MidPointX: -1})
		},
		"DeviceConfig sets nothing": func() ([]byte, error) {
			return EncodeDeviceConfig(1, ch, BasicConfig{})
		},
		"DeviceConfig negative": func() ([]byte, error) { return EncodeDeviceConfig(1, ch, BasicConfig{Expiration: -1}) },
		"Alarm response without DeviceID": func() ([]byte, error) {
			return EncodeAlarmResponse(1, "")
		},
	} {
		if body, err := encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %q, %v; want ErrInvalid", name, body, err)
		}
	}
}
