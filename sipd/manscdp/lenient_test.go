package manscdp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeTyped covers what devices and platforms do differently from the standard's
// examples, and what makes a body unusable.
func TestDecodeTyped(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *Message
		wantErr error
	}{
		{
			name: "2011 spelling PersetQuery, lower-case list and attribute",
			body: `<Response><CmdType>PersetQuery</CmdType><SN>1</SN><DeviceID>c</DeviceID><presetlist num="1"><item><presetid> 7 </presetid><presetname>门</presetname></item></presetlist></Response>`,
			want: &Message{Root: "Response", CmdType: "PresetQuery", SN: 1, DeviceID: "c", ListNum: 1, Charset: CharsetUTF8,
				Presets: &PresetList{DeviceID: "c", Items: []Preset{{ID: 7, Name: "门"}}}},
		},
		{
			name: "empty self-closed preset list",
			body: `<Response><CmdType>PresetQuery</CmdType><SN>1</SN><DeviceID>c</DeviceID><SumNum>0</SumNum><PresetList Num="0"/></Response>`,
			want: &Message{Root: "Response", CmdType: "PresetQuery", SN: 1, DeviceID: "c", Charset: CharsetUTF8, Presets: &PresetList{DeviceID: "c"}},
		},
		{
			name: "enumerations in lower case",
			body: `<Response><CmdType>DeviceStatus</CmdType><SN>2</SN><DeviceID>d</DeviceID><Result>ok</Result><Online>online</Online><Status>ok</Status><AlarmStatus num="1"><Item><DeviceID>a</DeviceID><DutyStatus>onDuty</DutyStatus></Item></AlarmStatus></Response>`,
			want: &Message{Root: "Response", CmdType: "DeviceStatus", SN: 2, DeviceID: "d", Status: "ok", Result: "OK", ListNum: 1, Charset: CharsetUTF8,
				DeviceStatus: &DeviceStatus{DeviceID: "d", Result: "OK", Online: Online, Status: StatusOK, Alarms: []AlarmStatus{{DeviceID: "a", DutyStatus: DutyOn}}}},
		},
		{
			name: "status without alarm list",
			body: `<Response><CmdType>DeviceStatus</CmdType><SN>2</SN><DeviceID>d</DeviceID><Result>OK</Result><Online>OFFLINE</Online></Response>`,
			want: &Message{Root: "Response", CmdType: "DeviceStatus", SN: 2, DeviceID: "d", Result: "OK", Charset: CharsetUTF8,
				DeviceStatus: &DeviceStatus{DeviceID: "d", Result: "OK", Online: Offline}},
		},
		{
			name: "record list without SumNum is complete in itself; junk sizes read as 0",
			body: `<Response><CmdType>RecordInfo</CmdType><SN>3</SN><DeviceID>d</DeviceID><RecordList><Item><DeviceID>d</DeviceID><Type>ALARM</Type><FileSize>big</FileSize></Item></RecordList></Response>`,
			want: &Message{Root: "Response", CmdType: "RecordInfo", SN: 3, DeviceID: "d", Charset: CharsetUTF8,
				Records: &RecordInfo{DeviceID: "d", SumNum: 1, Items: []RecordItem{{DeviceID: "d", Type: RecordAlarm}}}},
		},
		{
			name: "alarm coordinates that are not numbers read as 0",
			body: `<Notify><CmdType>Alarm</CmdType><SN>4</SN><DeviceID>a</DeviceID><AlarmPriority>1</AlarmPriority><AlarmMethod>2</AlarmMethod><Longitude>NaN</Longitude><Latitude>east</Latitude></Notify>`,
			want: &Message{Root: "Notify", CmdType: "Alarm", SN: 4, DeviceID: "a", Charset: CharsetUTF8,
				Alarm: &Alarm{DeviceID: "a", Priority: 1, Method: AlarmMethodDevice}},
		},
		{
			name: "catalog Notify events in lower case; a Response's Event is not read",
			body: `<Notify><CmdType>Catalog</CmdType><SN>5</SN><DeviceID>d</DeviceID><DeviceList Num="1"><Item><DeviceID>c</DeviceID><Event>vlost</Event></Item></DeviceList></Notify>`,
			want: &Message{Root: "Notify", CmdType: "Catalog", SN: 5, DeviceID: "d", ListNum: 1, Charset: CharsetUTF8,
				Catalog: &Catalog{DeviceID: "d", SumNum: 1, Items: []CatalogItem{{DeviceID: "c", Event: EventVLost}}}},
		},
		{
			name: "catalog Response item with an Event",
			body: `<Response><CmdType>Catalog</CmdType><SN>5</SN><DeviceID>d</DeviceID><DeviceList Num="1"><Item><DeviceID>c</DeviceID><Event>ON</Event></Item></DeviceList></Response>`,
			want: &Message{Root: "Response", CmdType: "Catalog", SN: 5, DeviceID: "d", ListNum: 1, Charset: CharsetUTF8,
				Catalog: &Catalog{DeviceID: "d", SumNum: 1, Items: []CatalogItem{{DeviceID: "c"}}}},
		},
		{
			name: "IFrameCmd spelled right, first command wins",
			body: `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><IFrameCmd>Send</IFrameCmd><TeleBoot>Boot</TeleBoot></Control>`,
			want: &Message{Root: "Control", CmdType: "DeviceControl", SN: 6, DeviceID: "c", Charset: CharsetUTF8, Control: ForceIFrame{}},
		},
		{
			name: "record command in lower case",
			body: `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><RecordCmd>stoprecord</RecordCmd></Control>`,
			want: &Message{Root: "Control", CmdType: "DeviceControl", SN: 6, DeviceID: "c", Charset: CharsetUTF8, Control: RecordStop},
		},
		{
			name: "PTZ without Info",
			body: `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><PTZCmd>A50F0100000000B5</PTZCmd></Control>`,
			want: &Message{Root: "Control", CmdType: "DeviceControl", SN: 6, DeviceID: "c", Charset: CharsetUTF8, Control: PTZControl{Cmd: NewPTZCmd(PTZMove{})}},
		},
		{
			name: "a control with no command this package knows",
			body: `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><FormatSDCard>1</FormatSDCard></Control>`,
			want: &Message{Root: "Control", CmdType: "DeviceControl", SN: 6, DeviceID: "c", Charset: CharsetUTF8},
		},
		{
			name:    "malformed PTZCmd",
			body:    `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><PTZCmd>A50F0100000000B4</PTZCmd></Control>`,
			wantErr: ErrMalformed,
		},
		{
			name:    "unknown record command",
			body:    `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><RecordCmd>Pause</RecordCmd></Control>`,
			wantErr: ErrMalformed,
		},
		{
			name:    "unknown guard command",
			body:    `<Control><CmdType>DeviceControl</CmdType><SN>6</SN><DeviceID>c</DeviceID><GuardCmd>Arm</GuardCmd></Control>`,
			wantErr: ErrMalformed,
		},
		{
			name:    "record answer with a non-numeric SumNum",
			body:    `<Response><CmdType>RecordInfo</CmdType><SN>3</SN><SumNum>x</SumNum></Response>`,
			wantErr: ErrMalformed,
		},
		{
			name:    "record answer with a negative SumNum",
			body:    `<Response><CmdType>RecordInfo</CmdType><SN>3</SN><SumNum>-4</SumNum></Response>`,
			wantErr: ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body), "")
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
				t.Errorf("Decode =\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
}

// TestFieldCopiesItsText checks that a decoded field is a copy of exactly its trimmed
// text, not a view into the parse buffers: a device cannot make the registrar keep a
// padded body alive through one short field it holds.
func TestFieldCopiesItsText(t *testing.T) {
	pad := strings.Repeat(" ", 4<<10)
	item := &element{name: "Item", first: &element{name: "DeviceID", text: []byte(pad + "c" + pad)}}
	id := item.field("DeviceID")
	if id != "c" {
		t.Fatalf("field = %q", id)
	}
	text := item.first.text
	for i := range text {
		text[i] = 'x'
	}
	if id != "c" {
		t.Fatalf("field changed with the parse buffer: %q", id)
	}
}
