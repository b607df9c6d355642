package manscdp

import (
	"strings"
)

// Presets (GB/T 28181-2016 A.2.4.12): <Query><CmdType>PresetQuery</CmdType>… asks a
// channel for its presets; the device answers
//
//	<Response><CmdType>PresetQuery</CmdType><SN/><DeviceID/>
//	<PresetList Num="2"><Item><PresetID>1</PresetID><PresetName>Gate</PresetName></Item>…</PresetList>
//	</Response>
//
// The 2011 edition spells the command PersetQuery; Decode reads both as PresetQuery.
// Presets are set, called and deleted with PTZ commands (PresetSet, PresetGoto,
// PresetDelete).

// Preset is one preset position of a channel; ID is 1-255.
type Preset struct {
	ID   int
	Name string
}

// PresetList is a device's answer to a PresetQuery.
type PresetList struct {
	DeviceID string
	Items    []Preset
}

func decodePresets(root *element, m *Message) {
	p := &PresetList{DeviceID: m.DeviceID}
	if list := root.child("PresetList"); list != nil {
		m.ListNum = list.numAttr()
		items := list.items()
		p.Items = sized[Preset](items)
		for _, it := range items {
			p.Items = append(p.Items, Preset{ID: it.lenientInt("PresetID"), Name: it.field("PresetName")})
		}
	}
	m.Presets = p
}

// EncodePresetQuery writes a platform's PresetQuery for a channel.
func EncodePresetQuery(sn int, deviceID string) []byte {
	return EncodeQuery("PresetQuery", sn, deviceID)
}

// EncodePresetQueryResponse writes a device's answer to a PresetQuery.
func EncodePresetQueryResponse(sn int, deviceID string, presets []Preset, charset string) ([]byte, error) {
	if err := needID("PresetQuery response", deviceID); err != nil {
		return nil, err
	}
	for _, p := range presets {
		if err := inRange("PresetID", p.ID, 1, 255); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	header(&b, "Response", "PresetQuery", sn, deviceID)
	listOpen(&b, "PresetList", len(presets))
	for _, p := range presets {
		open(&b, "Item")
		elemInt(&b, "PresetID", p.ID)
		elem(&b, "PresetName", p.Name)
		closeTag(&b, "Item")
	}
	closeTag(&b, "PresetList")
	closeTag(&b, "Response")
	return finish(&b, charset)
}
