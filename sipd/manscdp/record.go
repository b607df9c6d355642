package manscdp

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Recordings (GB/T 28181-2016 A.2.4.5, A.2.6.7). The platform asks a device (an NVR, or
// a camera with a card) which recordings of a channel fall in a time window:
//
//	<Query><CmdType>RecordInfo</CmdType><SN/><DeviceID>channel</DeviceID>
//	<StartTime>2026-12-03T08:00:00</StartTime><EndTime>2026-12-03T09:00:00</EndTime>
//	<Secrecy>0</Secrecy><Type>all</Type></Query>
//
// Times are the device's local time. Type is sent even when it is "all": some NVRs
// answer nothing without it. The answer comes in several MESSAGEs with the query's SN,
// in no guaranteed order, each carrying SumNum (the total) and a RecordList of Items.

// Record types of a query (and of an item, where "all" is not meaningful).
const (
	RecordAll    = "all"
	RecordTime   = "time"   // scheduled
	RecordAlarm  = "alarm"  // triggered by an alarm
	RecordManual = "manual" // started by hand
)

// RecordQuery is what a platform asks for with EncodeRecordInfoQuery.
type RecordQuery struct {
	// DeviceID is the channel whose recordings are searched.
	DeviceID string
	// Start and End bound the search; both are required and End must follow Start.
	Start, End time.Time
	// FilePath, Address and RecorderID narrow the search; empty means any.
	FilePath   string
	Address    string
	RecorderID string
	// Secrecy is 0 (not classified) or 1.
	Secrecy int
	// Type is one of the Record constants; empty means RecordAll.
	Type string
}

// RecordQueryBody is a RecordInfo query as a device receives it, its times as sent
// (read them with ParseTime in the device's location) and Type lower-cased.
type RecordQueryBody struct {
	DeviceID   string
	StartTime  string
	EndTime    string
	FilePath   string
	Address    string
	RecorderID string
	Secrecy    int
	Type       string
}

// RecordItem is one recording of a RecordInfo answer. StartTime and EndTime are the
// device's text (see ParseTime); FileSize is in bytes, 0 when not given.
type RecordItem struct {
	DeviceID   string
	Name       string
	FilePath   string
	Address    string
	StartTime  string
	EndTime    string
	Secrecy    int
	Type       string
	RecorderID string
	FileSize   int64
}

// RecordInfo is one part of a RecordInfo answer.
type RecordInfo struct {
	DeviceID string
	Name     string
	// SumNum is the number of items of the whole answer, over all parts.
	SumNum int
	Items  []RecordItem
}

func decodeRecordQuery(root *element, m *Message) {
	m.RecordQuery = &RecordQueryBody{
		DeviceID:   m.DeviceID,
		StartTime:  root.field("StartTime"),
		EndTime:    root.field("EndTime"),
		FilePath:   root.field("FilePath"),
		Address:    root.field("Address"),
		RecorderID: root.field("RecorderID"),
		Secrecy:    root.lenientInt("Secrecy"),
		Type:       strings.ToLower(root.field("Type")),
	}
}

func decodeRecordInfo(root *element, m *Message) error {
	r := &RecordInfo{DeviceID: m.DeviceID, Name: root.field("Name")}
	if list := root.child("RecordList"); list != nil {
		m.ListNum = list.numAttr()
		items := list.items()
		r.Items = sized[RecordItem](items)
		for _, it := range items {
			r.Items = append(r.Items, RecordItem{
				DeviceID:   it.field("DeviceID"),
				Name:       it.field("Name"),
				FilePath:   it.field("FilePath"),
				Address:    it.field("Address"),
				StartTime:  it.field("StartTime"),
				EndTime:    it.field("EndTime"),
				Secrecy:    it.lenientInt("Secrecy"),
				Type:       strings.ToLower(it.field("Type")),
				RecorderID: it.field("RecorderID"),
				FileSize:   it.lenientInt64("FileSize"),
			})
		}
	}
	sum, err := sumNum(root, len(r.Items))
	if err != nil {
		return err
	}
	r.SumNum = sum
	m.Records = r
	return nil
}

// EncodeRecordInfoQuery writes a platform's RecordInfo query, its times in loc (the
// device's zone: there is no default, since a wrong one silently shifts the window).
func EncodeRecordInfoQuery(sn int, q RecordQuery, loc *time.Location) ([]byte, error) {
	if err := needID("RecordInfo query", q.DeviceID); err != nil {
		return nil, err
	}
	if loc == nil {
		return nil, fmt.Errorf("%w: RecordInfo query without a location for its times", ErrInvalid)
	}
	if q.Start.IsZero() || q.End.IsZero() || !q.End.After(q.Start) {
		return nil, fmt.Errorf("%w: RecordInfo window %v to %v", ErrInvalid, q.Start, q.End)
	}
	if err := inRange("Secrecy", q.Secrecy, 0, 1); err != nil {
		return nil, err
	}
	typ := defaultTo(q.Type, RecordAll)
	if err := oneOf("Type", typ, RecordAll, RecordTime, RecordAlarm, RecordManual); err != nil {
		return nil, err
	}
	var b strings.Builder
	header(&b, "Query", "RecordInfo", sn, q.DeviceID)
	elem(&b, "StartTime", FormatTime(q.Start, loc))
	elem(&b, "EndTime", FormatTime(q.End, loc))
	elemIf(&b, "FilePath", q.FilePath)
	elemIf(&b, "Address", q.Address)
	elemInt(&b, "Secrecy", q.Secrecy)
	elem(&b, "Type", typ)
	elemIf(&b, "RecorderID", q.RecorderID)
	closeTag(&b, "Query")
	return platformBody(&b)
}

// EncodeRecordInfoResponse writes one part of a device's RecordInfo answer: r.SumNum
// is the size of the whole answer, r.Items this part's share. An item's empty Type is
// written as RecordTime.
func EncodeRecordInfoResponse(sn int, r RecordInfo, charset string) ([]byte, error) {
	if err := needID("RecordInfo response", r.DeviceID); err != nil {
		return nil, err
	}
	if r.SumNum < len(r.Items) {
		return nil, fmt.Errorf("%w: SumNum %d below the %d items of one part", ErrInvalid, r.SumNum, len(r.Items))
	}
	for i := range r.Items {
		if err := checkRecordItem(&r.Items[i]); err != nil {
			return nil, err
		}
	}
	var b strings.Builder
	header(&b, "Response", "RecordInfo", sn, r.DeviceID)
	elem(&b, "Name", r.Name)
	elemInt(&b, "SumNum", r.SumNum)
	listOpen(&b, "RecordList", len(r.Items))
	for _, it := range r.Items {
		open(&b, "Item")
		elem(&b, "DeviceID", it.DeviceID)
		elem(&b, "Name", it.Name)
		elemIf(&b, "FilePath", it.FilePath)
		elemIf(&b, "Address", it.Address)
		elem(&b, "StartTime", it.StartTime)
		elem(&b, "EndTime", it.EndTime)
		elemInt(&b, "Secrecy", it.Secrecy)
		elem(&b, "Type", defaultTo(it.Type, RecordTime))
		elemIf(&b, "RecorderID", it.RecorderID)
		if it.FileSize > 0 {
			elem(&b, "FileSize", strconv.FormatInt(it.FileSize, 10))
		}
		closeTag(&b, "Item")
	}
	closeTag(&b, "RecordList")
	closeTag(&b, "Response")
	return finish(&b, charset)
}

func checkRecordItem(it *RecordItem) error {
	if err := needID("RecordInfo item", it.DeviceID); err != nil {
		return err
	}
	if it.StartTime == "" || it.EndTime == "" {
		return fmt.Errorf("%w: RecordInfo item without StartTime or EndTime", ErrInvalid)
	}
	if err := checkTime("StartTime", it.StartTime); err != nil {
		return err
	}
	if err := checkTime("EndTime", it.EndTime); err != nil {
		return err
	}
	if err := inRange("Secrecy", it.Secrecy, 0, 1); err != nil {
		return err
	}
	if it.FileSize < 0 {
		return fmt.Errorf("%w: negative FileSize %d", ErrInvalid, it.FileSize)
	}
	return oneOf("Type", it.Type, "", RecordAll, RecordTime, RecordAlarm, RecordManual)
}

// EncodeRecordInfoParts writes a device's whole RecordInfo answer as parts of at most
// perPart items each, every part carrying SumNum = len(items), as devices split answers
// to fit a UDP datagram. No items give one part with an empty list, so that the
// platform learns the answer is empty rather than waiting for it.
func EncodeRecordInfoParts(sn int, deviceID, name string, items []RecordItem, perPart int, charset string) ([][]byte, error) {
	if perPart < 1 {
		return nil, fmt.Errorf("%w: %d items per part", ErrInvalid, perPart)
	}
	parts := make([][]byte, 0, max(1, (len(items)+perPart-1)/perPart))
	for start := 0; start == 0 || start < len(items); start += perPart {
		end := min(start+perPart, len(items))
		body, err := EncodeRecordInfoResponse(sn, RecordInfo{DeviceID: deviceID, Name: name, SumNum: len(items), Items: items[start:end]}, charset)
		if err != nil {
			return nil, err
		}
		parts = append(parts, body)
	}
	return parts, nil
}
