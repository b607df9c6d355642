package manscdp

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to Decode: it must never panic, must honour its size
// bound, and whatever it accepts as a DeviceInfo or Catalog response must survive an
// encode/decode round trip unchanged.
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
			m2, err := Decode(enc, "")
			if err != nil {
				t.Fatalf("re-decoding %q: %v", enc, err)
			}
			want := *m.DeviceInfo
			if want.Result == "" {
				want.Result = "OK"
			}
			if *m2.DeviceInfo != want {
				t.Fatalf("DeviceInfo round trip:\n%+v\n%+v", want, *m2.DeviceInfo)
			}
		}
		if m.Catalog != nil {
			enc, err := EncodeCatalogResponse(m.SN, m.Catalog.DeviceID, m.Catalog.SumNum, m.Catalog.Items, "utf-8")
			if err != nil {
				return
			}
			m2, err := Decode(enc, "")
			if err != nil {
				t.Fatalf("re-decoding %q: %v", enc, err)
			}
			if len(m.Catalog.Items) == 0 {
				m.Catalog.Items = nil
			}
			if !reflect.DeepEqual(m2.Catalog, m.Catalog) {
				t.Fatalf("Catalog round trip:\n%+v\n%+v", m.Catalog, m2.Catalog)
			}
		}
	})
}
