package manscdp_test

import (
	"fmt"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A platform turns a camera right, and the device reads the command.
func ExampleEncodeDeviceControl() {
	body, err := manscdp.EncodeDeviceControl(17, "34020000001320000001",
		manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PTZMove{Pan: 32})})
	if err != nil {
		panic(err)
	}
	m, err := manscdp.Decode(body, "")
	if err != nil {
		panic(err)
	}
	ptz := m.Control.(manscdp.PTZControl)
	fmt.Printf("%s %s priority %d: %+v\n", m.Root, m.CmdType, ptz.Priority, ptz.Cmd.Instruction)
	// Output: Control DeviceControl priority 5: {Pan:32 Tilt:0 Zoom:0}
}

// A device answers a RecordInfo query in parts; the platform reads the times in the
// device's zone.
func ExampleEncodeRecordInfoParts() {
	cst := time.FixedZone("CST", 8*3600)
	items := []manscdp.RecordItem{
		{DeviceID: "34020000001320000001", StartTime: "2026-12-03T08:00:00", EndTime: "2026-12-03T08:30:00"},
		{DeviceID: "34020000001320000001", StartTime: "2026-12-03T08:30:00", EndTime: "2026-12-03T09:00:00"},
		{DeviceID: "34020000001320000001", StartTime: "2026-12-03T09:00:00", EndTime: "2026-12-03T09:10:00"},
	}
	parts, err := manscdp.EncodeRecordInfoParts(41, "34020000001320000001", "Gate", items, 2, "")
	if err != nil {
		panic(err)
	}
	for _, p := range parts {
		m, _ := manscdp.Decode(p, "")
		start, _ := manscdp.ParseTime(m.Records.Items[0].StartTime, cst)
		fmt.Println(m.SN, m.Records.SumNum, len(m.Records.Items), start.UTC().Format(time.Kitchen))
	}
	// Output:
	// 41 3 2 12:00AM
	// 41 3 1 1:00AM
}
