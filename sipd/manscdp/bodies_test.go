package manscdp

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDecodeBodies decodes the bodies of testdata/bodies, written as public device
// firmware and platforms write them (see its README), into exactly the expected
// messages.
func TestDecodeBodies(t *testing.T) {
	const dev = "34020000001320000001"
	tests := []struct {
		file string
		want *Message
	}{
		{"netcam-devicestatus-response.xml", &Message{
			Root: "Response", CmdType: "DeviceStatus", SN: 998877, DeviceID: dev, Status: "OK", Result: "OK", ListNum: 1, Charset: CharsetGB2312,
			DeviceStatus: &DeviceStatus{DeviceID: dev, Result: "OK", Online: Online, Status: StatusOK, Encode: On, Record: Off, DeviceTime: "2026-12-03T08:15:30",
				Alarms: []AlarmStatus{{DeviceID: "34020000001340000001", DutyStatus: DutyOff}}},
		}},
		{"netcam-recordinfo-response.xml", &Message{
			Root: "Response", CmdType: "RecordInfo", SN: 41, DeviceID: dev, ListNum: 2, Charset: CharsetGB18030,
			Records: &RecordInfo{DeviceID: dev, Name: "大门 IPC", SumNum: 10, Items: []RecordItem{
				{DeviceID: dev, Name: "大门 IPC", StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T08:30:00", Type: RecordAll},
				{DeviceID: dev, Name: "大门 IPC", StartTime: "2026-12-03T08:30:00", EndTime: "2026-12-03T09:00:00", Type: RecordAll},
			}},
		}},
		{"netcam-recordinfo-empty.xml", &Message{
			Root: "Response", CmdType: "RecordInfo", SN: 42, DeviceID: dev, Charset: CharsetUTF8,
			Records: &RecordInfo{DeviceID: dev, Name: "IPC"},
		}},
		{"netcam-configdownload-response.xml", &Message{
			Root: "Response", CmdType: "ConfigDownload", SN: 77, DeviceID: dev, Result: "OK", Charset: CharsetGB2312,
			BasicParam: &BasicParam{Name: "IPC", Expiration: 3600, HeartBeatInterval: 60, HeartBeatCount: 3},
		}},
		{"netcam-deviceconfig-response.xml", &Message{
			Root: "Response", CmdType: "DeviceConfig", SN: 78, DeviceID: dev, Result: "OK", Charset: CharsetGB2312,
		}},
		{"netcam-devicecontrol-response.xml", &Message{
			Root: "Response", CmdType: "DeviceControl", SN: 220937, DeviceID: dev, Result: "OK", Charset: CharsetUTF8,
		}},
		{"netcam-presetquery-response.xml", &Message{
			Root: "Response", CmdType: "PresetQuery", SN: 90, DeviceID: dev, ListNum: 2, Charset: CharsetGB2312,
			Presets: &PresetList{DeviceID: dev, Items: []Preset{{ID: 1, Name: "1"}, {ID: 3, Name: "3"}}},
		}},
		{"netcam-alarm-notify.xml", &Message{
			Root: "Notify", CmdType: "Alarm", SN: 3, DeviceID: dev, Charset: CharsetGB2312,
			Alarm: &Alarm{DeviceID: dev, Priority: 1, Method: AlarmMethodVideo, Time: "2026-12-03T08:20:11", Type: 6, EventType: 1},
		}},
		{"netcam-mobileposition-notify.xml", &Message{
			Root: "Notify", CmdType: "MobilePosition", SN: 12, Charset: CharsetGB2312,
			Position: &MobilePosition{Time: "2026-12-03T08:20:11", Longitude: 123.2, Latitude: 23.2, Direction: 1},
		}},
		{"netcam-mediastatus-notify.xml", &Message{
			Root: "Notify", CmdType: "MediaStatus", SN: 8, DeviceID: dev, NotifyType: NotifyTypeEndOfFile, Charset: CharsetUTF8,
		}},
		{"wvp-recordinfo-query.xml", &Message{
			Root: "Query", CmdType: "RecordInfo", SN: 415263, DeviceID: dev, Charset: CharsetGB2312,
			RecordQuery: &RecordQueryBody{DeviceID: dev, StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T09:00:00", Type: RecordAll},
		}},
		{"monibuca-recordinfo-query.xml", &Message{
			Root: "Query", CmdType: "RecordInfo", SN: 9, DeviceID: dev, Charset: CharsetUTF8,
			RecordQuery: &RecordQueryBody{DeviceID: dev, StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T09:00:00", Type: RecordAll},
		}},
		{"wvp-alarm-subscribe.xml", &Message{
			Root: "Query", CmdType: "Alarm", SN: 204981, DeviceID: dev, Charset: CharsetGB2312,
			AlarmQuery: &AlarmQueryBody{DeviceID: dev, StartAlarmPriority: 1, EndAlarmPriority: 4, AlarmMethod: "0",
				StartAlarmTime: "2026-12-03T00:00:00", EndAlarmTime: "2026-12-04T00:00:00"},
		}},
		{"wvp-mobileposition-subscribe.xml", &Message{
			Root: "Query", CmdType: "MobilePosition", SN: 663921, DeviceID: dev, Interval: 5, Charset: CharsetGB2312,
		}},
		{"wvp-homeposition-control.xml", &Message{
			Root: "Control", CmdType: "DeviceControl", SN: 371954, DeviceID: dev, Charset: CharsetUTF8,
			Control: HomePosition{Enabled: true, ResetTime: 30, PresetIndex: 2},
		}},
		{"wvp-deviceconfig-control.xml", &Message{
			Root: "Control", CmdType: "DeviceConfig", SN: 562817, DeviceID: dev, Charset: CharsetGB18030,
			BasicParam: &BasicParam{Name: "东门", Expiration: 3600, HeartBeatInterval: 30, HeartBeatCount: 3},
		}},
		{"wvp-alarmcmd-control.xml", &Message{
			Root: "Control", CmdType: "DeviceControl", SN: 118402, DeviceID: dev, Charset: CharsetUTF8,
			Control: ResetAlarm{Method: AlarmMethodVideo, Type: 2},
		}},
		{"wvp-guardcmd-control.xml", &Message{
			Root: "Control", CmdType: "DeviceControl", SN: 220937, DeviceID: dev, Charset: CharsetUTF8,
			Control: GuardSet,
		}},
		{"wvp-catalog-notify.xml", &Message{
			Root: "Notify", CmdType: "Catalog", SN: 731005, DeviceID: "34020000002000000001", ListNum: 2, Charset: CharsetGB18030,
			Catalog: &Catalog{DeviceID: "34020000002000000001", SumNum: 2, Items: []CatalogItem{
				{DeviceID: "34020000001310000001", Name: "南门 1", Manufacturer: "Hikvision", Model: "DS-2CD", Owner: "0", CivilCode: "340200", Address: "南门", RegisterWay: 1, Status: "OFF", Event: EventOff},
				{DeviceID: "34020000001310000002", Name: "南门 2", Manufacturer: "Hikvision", Model: "DS-2CD", Owner: "0", CivilCode: "340200", Address: "南门", RegisterWay: 1, Status: "ON", Event: EventAdd},
			}},
		}},
		{"monibuca-alarm-response.xml", &Message{
			Root: "Response", CmdType: "Alarm", SN: 17430, DeviceID: dev, Charset: CharsetUTF8,
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "bodies", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(body, "")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*.xml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expected message", f)
		}
	}
}
