package sipd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Recordings: a RecordInfo query (GB/T 28181-2016 A.2.4.5) asks a device which
// recordings of a channel fall in a time window. The answer comes in parts
// (message_answer.go), bounded by MaxRecordItems.

// ErrPartialRecordInfo means a RecordInfo answer's parts did not all arrive in time, or
// held more than MaxRecordItems items.
var ErrPartialRecordInfo = errors.New("sipd: partial RecordInfo")

// recordItemBytes bounds the average text of an item: MaxRecordItems items hold at
// most this many bytes each on average.
const recordItemBytes = 256

// QueryRecordInfo asks a registered device for the recordings q describes, its times
// written in loc (the device's zone), and joins the answer's parts by SN until SumNum
// items arrived. When ctx ends first, or the items reach MaxRecordItems before SumNum,
// it returns what it holds with ErrPartialRecordInfo. Items are as the device sent
// them, in the order they arrived. It acts only through a binding dev.Owner holds.
func (s *Server) QueryRecordInfo(ctx context.Context, dev DeviceRef, q manscdp.RecordQuery, loc *time.Location) (*manscdp.RecordInfo, error) {
	if q.DeviceID == "" {
		q.DeviceID = dev.ID
	}
	n := s.cfg.MaxRecordItems
	a := &recordAnswer{parts: parts[manscdp.RecordItem]{limits: partLimits{items: n, parts: n, bytes: n * recordItemBytes}, size: recordItemSize}}
	err := s.query(ctx, dev, exchange{
		cmd:    "RecordInfo",
		target: q.DeviceID,
		body:   func(sn int) ([]byte, error) { return manscdp.EncodeRecordInfoQuery(sn, q, loc) },
		answer: a,
	})
	r := &manscdp.RecordInfo{DeviceID: q.DeviceID, Name: a.name, SumNum: a.sumNum, Items: a.items}
	switch {
	case err == nil && len(r.Items) < r.SumNum:
		return r, fmt.Errorf("%w: %d of %d items from %s kept, MaxRecordItems %d", ErrPartialRecordInfo, len(r.Items), r.SumNum, q.DeviceID, n)
	case err == nil:
		return r, nil
	case errors.Is(err, errIncomplete) && a.seen != nil:
		s.log.Info("RecordInfo incomplete", "device", dev.ID, "channel", q.DeviceID, "received", len(r.Items), "sumNum", r.SumNum)
		return r, fmt.Errorf("%w: %d of %d items from %s: %w", ErrPartialRecordInfo, len(r.Items), r.SumNum, q.DeviceID, err)
	}
	return nil, err
}

// Location is the zone of the devices' clocks (Config.Location): the zone of the Date
// header they set their clocks from, in which RecordInfo times are written and read.
func (s *Server) Location() *time.Location { return s.cfg.Location }

// recordAnswer joins the parts of a RecordInfo answer.
type recordAnswer struct {
	parts[manscdp.RecordItem]
	name string
}

func (a *recordAnswer) add(msg *manscdp.Message, partID uint64) bool {
	if msg.Records == nil {
		return false
	}
	if a.name == "" {
		a.name = deviceText(msg.Records.Name, maxReasonLen)
	}
	return a.parts.add(partID, msg.Records.SumNum, msg.Records.Items)
}

// recordItemSize is the text an item holds.
func recordItemSize(it *manscdp.RecordItem) int {
	return len(it.DeviceID) + len(it.Name) + len(it.FilePath) + len(it.Address) + len(it.StartTime) +
		len(it.EndTime) + len(it.Type) + len(it.RecorderID)
}
