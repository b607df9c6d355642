package manscdp

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to Decode: it must never panic, must honour its size
// bound, and whatever it accepts as a typed answer or Notify must survive the device
// side's encode and a second decode unchanged (after the encoders' documented defaults).
// testdata/fuzz/FuzzDecode seeds it with the bodies of testdata/bodies, the platform's
// controls and the device's answers and Notifies.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(keepaliveDoc), "")
	f.Add([]byte(catalogDoc(` encoding="GB2312"`)), "")
	f.Add(gbk(f, catalogDoc(` encoding="GB2312"`)), "gbk")
	f.Add(gbk(f, catalogDoc(` encoding="UTF-8"`)), "")
	f.Add(EncodeQuery("DeviceInfo", 1, "34020000001320000001"), "")
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><Notify><CmdType>x</CmdType>&b;</Notify>`), "")
	f.Add([]byte(`<Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceName>a&amp;b</DeviceName><Channel>x</Channel></Response>`), "utf-8")
	f.Add([]byte("<Notify><CmdType>Keepalive</CmdType>\xff\xfe</Notify>"), "gb2312")
	f.Fuzz(func(t *testing.T, body []byte, charset string) {
		m, err := Decode(body, charset)
		if len(body) > MaxBodySize && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("oversized body accepted: %v", err)
		}
		if err != nil {
			return
		}
		if m.DeviceInfo != nil {
			enc, err := EncodeDeviceInfoResponse(m.SN, *m.DeviceInfo, "utf-8")
			if err != nil {
				return // e.g. the re-encoded body exceeds the bound
			}
			m2 := mustDecode(t, enc)
			want := *m.DeviceInfo
			if want.Result == "" {
				want.Result = "OK"
			}
			if *m2.DeviceInfo != want {
				t.Fatalf("DeviceInfo round trip:\n%+v\n%+v", want, *m2.DeviceInfo)
			}
		}
		if m.Catalog != nil {
			roundTripCatalog(t, m)
		}
		if m.DeviceStatus != nil {
			if enc, err := EncodeDeviceStatusResponse(m.SN, *m.DeviceStatus, "utf-8"); err == nil {
				want := *m.DeviceStatus
				want.Result, want.Status = defaultTo(want.Result, ResultOK), defaultTo(want.Status, StatusOK)
				same(t, "DeviceStatus", &want, mustDecode(t, enc).DeviceStatus)
			}
		}
		if m.BasicParam != nil && m.Root == "Response" {
			if enc, err := EncodeConfigDownloadResponse(m.SN, "d", *m.BasicParam, "utf-8"); err == nil {
				same(t, "BasicParam", m.BasicParam, mustDecode(t, enc).BasicParam)
			}
		}
		if m.Records != nil {
			if enc, err := EncodeRecordInfoResponse(m.SN, *m.Records, "utf-8"); err == nil {
				want := *m.Records
				want.Items = append([]RecordItem(nil), want.Items...)
				for i := range want.Items {
					want.Items[i].Type = defaultTo(want.Items[i].Type, RecordTime)
				}
				same(t, "RecordInfo", &want, mustDecode(t, enc).Records)
			}
		}
		if m.Presets != nil {
			if enc, err := EncodePresetQueryResponse(m.SN, m.Presets.DeviceID, m.Presets.Items, "utf-8"); err == nil {
				same(t, "PresetList", m.Presets, mustDecode(t, enc).Presets)
			}
		}
		if m.Alarm != nil {
			if enc, err := EncodeAlarmNotify(m.SN, *m.Alarm, "utf-8"); err == nil {
				same(t, "Alarm", m.Alarm, mustDecode(t, enc).Alarm)
			}
		}
		if m.Position != nil {
			if enc, err := EncodeMobilePositionNotify(m.SN, *m.Position, "utf-8"); err == nil {
				same(t, "MobilePosition", m.Position, mustDecode(t, enc).Position)
			}
		}
		if m.Control != nil {
			roundTripControl(t, m)
		}
	})
}

func mustDecode(t *testing.T, body []byte) *Message {
	t.Helper()
	m, err := Decode(body, "")
	if err != nil {
		t.Fatalf("re-decoding %q: %v", body, err)
	}
	return m
}

func same(t *testing.T, what string, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s round trip:\n%+v\n%+v", what, want, got)
	}
}

func roundTripCatalog(t *testing.T, m *Message) {
	t.Helper()
	var enc []byte
	var err error
	if m.Root == "Notify" {
		enc, err = EncodeCatalogNotify(m.SN, m.Catalog.DeviceID, m.Catalog.SumNum, m.Catalog.Items, "utf-8")
	} else {
		enc, err = EncodeCatalogResponse(m.SN, m.Catalog.DeviceID, m.Catalog.SumNum, m.Catalog.Items, "utf-8")
	}
	if err != nil {
		return
	}
	same(t, "Catalog", m.Catalog, mustDecode(t, enc).Catalog)
}

// roundTripControl re-encodes a decoded DeviceControl command: what the platform side
// writes for it must read back as the same command, once the encoder's defaults are
// applied (ControlPriority 5; a disabled HomePosition carries nothing else).
func roundTripControl(t *testing.T, m *Message) {
	t.Helper()
	enc, err := EncodeDeviceControl(m.SN, "d", m.Control)
	if err != nil {
		return
	}
	want := m.Control
	switch c := want.(type) {
	case PTZControl:
		if c.Priority == 0 {
			c.Priority = controlPriorityDefault
		}
		want = c
	case HomePosition:
		if !c.Enabled {
			want = HomePosition{}
		}
	}
	same(t, "DeviceControl", want, mustDecode(t, enc).Control)
}
