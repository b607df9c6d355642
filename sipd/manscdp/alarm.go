package manscdp

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Alarms (GB/T 28181-2016 §9.4, A.2.5.1). A device reports an alarm by MESSAGE, or in a
// NOTIFY of an alarm subscription:
//
//	<Notify><CmdType>Alarm</CmdType><SN/><DeviceID>alarm input or channel</DeviceID>
//	<AlarmPriority>1</AlarmPriority><AlarmMethod>5</AlarmMethod>
//	<AlarmTime>2026-12-03T08:00:00</AlarmTime><AlarmDescription/>
//	<Info><AlarmType>2</AlarmType><AlarmTypeParam><EventType>1</EventType></AlarmTypeParam></Info>
//	</Notify>
//
// The platform answers 200 and may send an Alarm <Response> (EncodeAlarmResponse). An
// alarm query, or the body of an alarm SUBSCRIBE, selects alarms by priority, method and
// time (EncodeAlarmQuery). Many devices send nothing until armed (GuardSet).

// Alarm methods (AlarmMethod).
const (
	AlarmMethodPhone  = 1
	AlarmMethodDevice = 2
	AlarmMethodSMS    = 3
	AlarmMethodGPS    = 4
	AlarmMethodVideo  = 5
	AlarmMethodFault  = 6
	AlarmMethodOther  = 7
)

// Alarm is a device's alarm. Numbers the body lacks read as 0; Time is the device's
// text (see ParseTime).
type Alarm struct {
	DeviceID string
	// Priority is 1 (most urgent) to 4.
	Priority int
	// Method is one of the AlarmMethod constants.
	Method      int
	Time        string
	Description string
	Longitude   float64
	Latitude    float64
	// Type refines Method (Info/AlarmType): for video alarms 1 manual, 2 motion, 3
	// left object, 4 removed object, 5 tripwire, 6 intrusion...; for device alarms 1
	// video lost, 2 tampering, 3 disk full...
	Type int
	// EventType is Info/AlarmTypeParam/EventType: for intrusion 1 entering, 2 leaving.
	EventType int
}

// AlarmQuery selects alarms, for an alarm query or the body of an alarm SUBSCRIBE.
type AlarmQuery struct {
	DeviceID string
	// StartPriority and EndPriority bound the priorities wanted, 1-4; 0 means all.
	StartPriority, EndPriority int
	// Methods are the AlarmMethod values wanted; none means all.
	Methods []int
	// Type narrows to one alarm type (optional, 0 for any).
	Type int
	// Start and End bound the alarm time (optional: zero times are left out).
	Start, End time.Time
}

// AlarmQueryBody is an alarm query as a device receives it, times as sent.
type AlarmQueryBody struct {
	DeviceID           string
	StartAlarmPriority int
	EndAlarmPriority   int
	// AlarmMethod is "0" for all, or the wanted methods' digits run together ("25").
	AlarmMethod    string
	AlarmType      int
	StartAlarmTime string
	EndAlarmTime   string
}

// decodeAlarm sets m.Alarm when the body carries an alarm's fields; an Alarm body
// with none (the platform's Response, a bare Notify) leaves it nil.
func decodeAlarm(root *element, m *Message) {
	info := root.child("Info")
	if root.child("AlarmPriority") == nil && root.child("AlarmMethod") == nil &&
		root.child("AlarmTime") == nil && root.child("AlarmDescription") == nil && info == nil {
		return
	}
	a := &Alarm{
		DeviceID:    m.DeviceID,
		Priority:    root.lenientInt("AlarmPriority"),
		Method:      root.lenientInt("AlarmMethod"),
		Time:        root.field("AlarmTime"),
		Description: root.field("AlarmDescription"),
		Longitude:   root.lenientFloat("Longitude"),
		Latitude:    root.lenientFloat("Latitude"),
	}
	if info != nil {
		a.Type = info.lenientInt("AlarmType")
		if p := info.child("AlarmTypeParam"); p != nil {
			a.EventType = p.lenientInt("EventType")
		}
	}
	m.Alarm = a
}

func decodeAlarmQuery(root *element, m *Message) {
	m.AlarmQuery = &AlarmQueryBody{
		DeviceID:           m.DeviceID,
		StartAlarmPriority: root.lenientInt("StartAlarmPriority"),
		EndAlarmPriority:   root.lenientInt("EndAlarmPriority"),
		AlarmMethod:        root.field("AlarmMethod"),
		AlarmType:          root.lenientInt("AlarmType"),
		StartAlarmTime:     root.field("StartAlarmTime"),
		EndAlarmTime:       root.field("EndAlarmTime"),
	}
}

// EncodeAlarmQuery writes a platform's alarm query, also the body of an alarm
// SUBSCRIBE. StartAlarmPriority, EndAlarmPriority and AlarmMethod are always written
// (0 meaning all); the times, in loc, only when set.
func EncodeAlarmQuery(sn int, q AlarmQuery, loc *time.Location) ([]byte, error) {
	if err := needID("Alarm query", q.DeviceID); err != nil {
		return nil, err
	}
	if err := inRange("StartAlarmPriority", q.StartPriority, 0, 4); err != nil {
		return nil, err
	}
	if err := inRange("EndAlarmPriority", q.EndPriority, 0, 4); err != nil {
		return nil, err
	}
	if q.StartPriority > 0 && q.EndPriority > 0 && q.StartPriority > q.EndPriority {
		return nil, fmt.Errorf("%w: StartAlarmPriority %d after EndAlarmPriority %d", ErrInvalid, q.StartPriority, q.EndPriority)
	}
	methods := "0"
	if len(q.Methods) > 0 {
		var sb strings.Builder
		for _, m := range q.Methods {
			if err := inRange("AlarmMethod", m, AlarmMethodPhone, AlarmMethodOther); err != nil {
				return nil, err
			}
			sb.WriteString(strconv.Itoa(m))
		}
		methods = sb.String()
	}
	if q.Type < 0 {
		return nil, fmt.Errorf("%w: negative AlarmType %d", ErrInvalid, q.Type)
	}
	if (!q.Start.IsZero() || !q.End.IsZero()) && loc == nil {
		return nil, fmt.Errorf("%w: alarm query times without a location", ErrInvalid)
	}
	if !q.Start.IsZero() && !q.End.IsZero() && !q.End.After(q.Start) {
		return nil, fmt.Errorf("%w: alarm window %v to %v", ErrInvalid, q.Start, q.End)
	}
	var b strings.Builder
	header(&b, "Query", "Alarm", sn, q.DeviceID)
	elemInt(&b, "StartAlarmPriority", q.StartPriority)
	elemInt(&b, "EndAlarmPriority", q.EndPriority)
	elem(&b, "AlarmMethod", methods)
	positive(&b, "AlarmType", q.Type)
	if !q.Start.IsZero() {
		elem(&b, "StartAlarmTime", FormatTime(q.Start, loc))
	}
	if !q.End.IsZero() {
		elem(&b, "EndAlarmTime", FormatTime(q.End, loc))
	}
	closeTag(&b, "Query")
	return platformBody(&b)
}

// EncodeAlarmNotify writes a device's alarm Notify. Priority, Method and Time are
// required; Longitude and Latitude are written when either is set, Info when Type is.
func EncodeAlarmNotify(sn int, a Alarm, charset string) ([]byte, error) {
	if err := needID("Alarm", a.DeviceID); err != nil {
		return nil, err
	}
	if err := inRange("AlarmPriority", a.Priority, 1, 4); err != nil {
		return nil, err
	}
	if err := inRange("AlarmMethod", a.Method, AlarmMethodPhone, AlarmMethodOther); err != nil {
		return nil, err
	}
	if a.Time == "" {
		return nil, fmt.Errorf("%w: alarm without AlarmTime", ErrInvalid)
	}
	if err := checkTime("AlarmTime", a.Time); err != nil {
		return nil, err
	}
	if a.Type < 0 || a.EventType < 0 || (a.EventType > 0 && a.Type == 0) {
		return nil, fmt.Errorf("%w: AlarmType %d with EventType %d", ErrInvalid, a.Type, a.EventType)
	}
	var b strings.Builder
	header(&b, "Notify", "Alarm", sn, a.DeviceID)
	elemInt(&b, "AlarmPriority", a.Priority)
	elemInt(&b, "AlarmMethod", a.Method)
	elem(&b, "AlarmTime", a.Time)
	elemIf(&b, "AlarmDescription", a.Description)
	if a.Longitude != 0 || a.Latitude != 0 {
		elemFloat(&b, "Longitude", a.Longitude)
		elemFloat(&b, "Latitude", a.Latitude)
	}
	if a.Type > 0 {
		open(&b, "Info")
		elemInt(&b, "AlarmType", a.Type)
		if a.EventType > 0 {
			open(&b, "AlarmTypeParam")
			elemInt(&b, "EventType", a.EventType)
			closeTag(&b, "AlarmTypeParam")
		}
		closeTag(&b, "Info")
	}
	closeTag(&b, "Notify")
	return finish(&b, charset)
}
