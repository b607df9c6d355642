package manscdp

import (
	"fmt"
	"strings"
)

// A device's status (GB/T 28181-2016 A.2.6.6): the platform sends
// <Query><CmdType>DeviceStatus</CmdType>…</Query>; the device answers whether it is
// online and working, encoding and recording, its clock, and the duty status of each of
// its alarm inputs:
//
//	<Response><CmdType>DeviceStatus</CmdType><SN/><DeviceID/><Result>OK</Result>
//	<Online>ONLINE</Online><Status>OK</Status><Encode>ON</Encode><Record>OFF</Record>
//	<DeviceTime>2026-12-03T08:00:00</DeviceTime>
//	<Alarmstatus Num="1"><Item><DeviceID/><DutyStatus>ONDUTY</DutyStatus></Item></Alarmstatus>
//	</Response>

// Values of a DeviceStatus answer.
const (
	Online  = "ONLINE"
	Offline = "OFFLINE"
	// StatusOK and StatusError are the values of <Status>.
	StatusOK    = "OK"
	StatusError = "ERROR"
	// On and Off are the values of <Encode> and <Record>.
	On  = "ON"
	Off = "OFF"
	// Duty states of an alarm input.
	DutyOn    = "ONDUTY"  // armed
	DutyOff   = "OFFDUTY" // disarmed
	DutyAlarm = "ALARM"   // armed and alarming
)

// DeviceStatus is a device's answer to a DeviceStatus query. The enumerations are
// upper-cased when decoded; DeviceTime is the device's text (see ParseTime).
type DeviceStatus struct {
	DeviceID string
	Result   string
	Online   string
	Status   string
	// Reason says why Status is ERROR (optional).
	Reason     string
	Encode     string
	Record     string
	DeviceTime string
	// Alarms is the Alarmstatus list, one item per alarm input.
	Alarms []AlarmStatus
}

// AlarmStatus is the duty status of one alarm input.
type AlarmStatus struct {
	DeviceID   string
	DutyStatus string
}

func decodeDeviceStatus(root *element, m *Message) {
	st := &DeviceStatus{
		DeviceID:   m.DeviceID,
		Result:     m.Result,
		Online:     root.upperField("Online"),
		Status:     root.upperField("Status"),
		Reason:     root.field("Reason"),
		Encode:     root.upperField("Encode"),
		Record:     root.upperField("Record"),
		DeviceTime: root.field("DeviceTime"),
	}
	if list := root.child("Alarmstatus"); list != nil {
		m.ListNum = list.numAttr()
		items := list.items()
		st.Alarms = sized[AlarmStatus](items)
		for _, it := range items {
			st.Alarms = append(st.Alarms, AlarmStatus{DeviceID: it.field("DeviceID"), DutyStatus: it.upperField("DutyStatus")})
		}
	}
	m.DeviceStatus = st
}

// EncodeDeviceStatusQuery writes a platform's DeviceStatus query.
func EncodeDeviceStatusQuery(sn int, deviceID string) []byte {
	return EncodeQuery("DeviceStatus", sn, deviceID)
}

// EncodeDeviceStatusResponse writes a device's answer to a DeviceStatus query. Empty
// Result and Status are written OK; Online must be ONLINE or OFFLINE; Encode, Record and
// DeviceTime are left out when empty.
func EncodeDeviceStatusResponse(sn int, st DeviceStatus, charset string) ([]byte, error) {
	if err := needID("DeviceStatus response", st.DeviceID); err != nil {
		return nil, err
	}
	result, status := defaultTo(st.Result, ResultOK), defaultTo(st.Status, StatusOK)
	if err := oneOf("Result", result, ResultOK, ResultError); err != nil {
		return nil, err
	}
	if err := oneOf("Online", st.Online, Online, Offline); err != nil {
		return nil, err
	}
	if err := oneOf("Status", status, StatusOK, StatusError); err != nil {
		return nil, err
	}
	if err := oneOf("Encode", st.Encode, "", On, Off); err != nil {
		return nil, err
	}
	if err := oneOf("Record", st.Record, "", On, Off); err != nil {
		return nil, err
	}
	if err := checkTime("DeviceTime", st.DeviceTime); err != nil {
		return nil, err
	}
	for _, a := range st.Alarms {
		if err := oneOf("DutyStatus", a.DutyStatus, DutyOn, DutyOff, DutyAlarm); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	header(&b, "Response", "DeviceStatus", sn, st.DeviceID)
	elem(&b, "Result", result)
	elem(&b, "Online", st.Online)
	elem(&b, "Status", status)
	elemIf(&b, "Reason", st.Reason)
	elemIf(&b, "Encode", st.Encode)
	elemIf(&b, "Record", st.Record)
	elemIf(&b, "DeviceTime", st.DeviceTime)
	listOpen(&b, "Alarmstatus", len(st.Alarms))
	for _, a := range st.Alarms {
		open(&b, "Item")
		elem(&b, "DeviceID", a.DeviceID)
		elem(&b, "DutyStatus", a.DutyStatus)
		closeTag(&b, "Item")
	}
	closeTag(&b, "Alarmstatus")
	closeTag(&b, "Response")
	return finish(&b, charset)
}

func defaultTo(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// oneOf checks an enumerated value against the values the standard allows.
func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%w: %s %q is not one of %q", ErrInvalid, name, truncate(v), allowed)
}
