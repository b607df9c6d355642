package manscdp

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fillBody repeats unit between head and tail up to MaxBodySize.
func fillBody(head, unit, tail string) []byte {
	n := (MaxBodySize - len(head) - len(tail)) / len(unit)
	return []byte(head + strings.Repeat(unit, n) + tail)
}

// hostileBodies are the cheapest bodies per byte to decode that a device could send:
// tiny elements, empty or one-field items in every list, attributes, text split by
// comments; the padded ones sit just under the element and attribute limits, where
// a hostile device gets the most work for its bytes.
func hostileBodies() []struct {
	name string
	body []byte
} {
	list := func(cmd, list, unit string) []byte {
		return fillBody("<Response><CmdType>"+cmd+"</CmdType><SN>1</SN><"+list+">", unit, "</"+list+"></Response>")
	}
	// padded pads unit with line breaks to bytes per element.
	padded := func(unit string, elements, bytes int) string {
		return unit + strings.Repeat("\n", elements*bytes-len(unit))
	}
	const oneField = "<Item><a/></Item>"
	return []struct {
		name string
		body []byte
	}{
		{"tiny elements", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN>", "<a/>", "</Notify>")},
		{"empty catalog items", list("Catalog", "DeviceList", "<Item/>")},
		{"attributes", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN><a", ` b=""`, "/></Notify>")},
		{"tiny elements, padded", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN>", padded("<a/>", 1, 13), "</Notify>")},
		{"one-field catalog items, padded", list("Catalog", "DeviceList", padded(oneField, 2, 13))},
		{"one-field record items, padded", list("RecordInfo", "RecordList", padded(oneField, 2, 13))},
		{"one-field alarm status items, padded", list("DeviceStatus", "Alarmstatus", padded(oneField, 2, 13))},
		{"one-field preset items, padded", list("PresetQuery", "PresetList", padded(oneField, 2, 13))},
		{"one-field catalog notify items, padded", fillBody("<Notify><CmdType>Catalog</CmdType><SN>1</SN><DeviceList>", padded(oneField, 2, 13), "</DeviceList></Notify>")},
		{"attributes, padded", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN><a", ` b="12345678"`, "/></Notify>")},
		{"text split by comments", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>", "x<!---->", "</DeviceID></Notify>")},
		{"one long text", fillBody("<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>", "x", "</DeviceID></Notify>")},
	}
}

// realBodies are bodies of the largest legitimate size, as the encoders write them.
func realBodies(t testing.TB) []struct {
	name string
	body []byte
} {
	items := make([]CatalogItem, 120)
	for i := range items {
		items[i] = CatalogItem{DeviceID: fmt.Sprintf("3402000000132%07d", i), Name: "东门通道", Manufacturer: "Hikvision", Model: "DS-2CD2T47",
			Owner: "Owner", CivilCode: "340200", Address: "中山路", ParentID: "34020000001180000001", RegisterWay: 1, Status: "ON"}
	}
	catalog, err := EncodeCatalogResponse(1, "34020000001180000001", 500, items, "")
	if err != nil {
		t.Fatal(err)
	}
	records := make([]RecordItem, 150)
	for i := range records {
		records[i] = RecordItem{DeviceID: "34020000001320000001", Name: "东门", FilePath: "/sd/record/000001.ps", Address: "东门",
			StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T08:30:00", Type: RecordTime, FileSize: 1 << 28}
	}
	record, err := EncodeRecordInfoResponse(1, RecordInfo{DeviceID: "34020000001320000001", Name: "东门", SumNum: 900, Items: records}, "")
	if err != nil {
		t.Fatal(err)
	}
	alarms := make([]AlarmStatus, 256)
	for i := range alarms {
		alarms[i] = AlarmStatus{DeviceID: fmt.Sprintf("3402000000134%07d", i), DutyStatus: DutyOn}
	}
	status, err := EncodeDeviceStatusResponse(1, DeviceStatus{DeviceID: "34020000001180000001", Online: Online, Alarms: alarms}, "")
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		body []byte
	}{
		{"catalog part of 120 items", catalog},
		{"record part of 150 items", record},
		{"status of 256 alarm inputs", status},
		{"keepalive", []byte(keepaliveDoc)},
	}
}

// allocPerByte is what one Decode of body allocates, per body byte, averaged.
func allocPerByte(body []byte, runs int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		_, _ = Decode(body, "")
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs) / float64(len(body))
}

// maxAllocPerByte bounds what decoding a hostile body may allocate per byte: the
// bodies a registrar decodes at once each cost at most this multiple of MaxBodySize.
const maxAllocPerByte = 24

// TestDecodeAllocationBound checks that no body makes Decode allocate more than
// maxAllocPerByte times its size, whether it is accepted or refused.
func TestDecodeAllocationBound(t *testing.T) {
	for _, h := range hostileBodies() {
		if got := allocPerByte(h.body, 5); got > maxAllocPerByte {
			t.Errorf("%s: %.1f bytes allocated per body byte, bound %d", h.name, got, maxAllocPerByte)
		}
	}
}

func TestDecodeRefusesTooManyElements(t *testing.T) {
	for _, h := range hostileBodies() {
		_, err := Decode(h.body, "")
		if refused := errors.Is(err, ErrTooLarge); refused != !strings.Contains(h.name, "padded") && h.name != "text split by comments" && h.name != "one long text" {
			t.Errorf("%s: error %v", h.name, err)
		}
	}
	for _, r := range realBodies(t) {
		if _, err := Decode(r.body, ""); err != nil {
			t.Errorf("%s (%d bytes): %v", r.name, len(r.body), err)
		}
	}
}

func TestEmptyItemsAreSkipped(t *testing.T) {
	m, err := Decode([]byte(`<Response><CmdType>RecordInfo</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>1</SumNum><RecordList Num="3"><Item/><Item> </Item><Item><DeviceID>d</DeviceID></Item></RecordList></Response>`), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Records.Items) != 1 || m.Records.Items[0].DeviceID != "d" || m.ListNum != 3 {
		t.Errorf("items %+v, Num %d", m.Records.Items, m.ListNum)
	}
}

// BenchmarkDecode reports time and allocation per body byte for real bodies of the
// largest size and for hostile ones.
func BenchmarkDecode(b *testing.B) {
	bodies := append(realBodies(b), hostileBodies()...)
	for _, c := range bodies {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < b.N; i++ {
				_, _ = Decode(c.body, "")
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(c.body)), "alloc/byte")
		})
	}
}
