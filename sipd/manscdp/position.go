package manscdp

import (
	"fmt"
	"strings"
	"time"
)

// Mobile position (GB/T 28181-2016 §9.11.2, A.2.5.4). A platform subscribes to a
// mobile device's position with <Query><CmdType>MobilePosition</CmdType>…
// <Interval>5</Interval></Query> (seconds between reports); the device then sends
//
//	<Notify><CmdType>MobilePosition</CmdType><SN/><DeviceID/><Time>2026-12-03T08:00:00</Time>
//	<Longitude>116.3</Longitude><Latitude>39.9</Latitude><Speed>0</Speed>
//	<Direction>90</Direction><Altitude>50</Altitude></Notify>
//
// Some firmware leaves DeviceID out; the caller then knows the device from the dialog.

// MobilePosition is one position report. Time is the device's text (see ParseTime);
// Speed is in km/h, Direction in degrees clockwise from north, Altitude in metres.
type MobilePosition struct {
	DeviceID  string
	Time      string
	Longitude float64
	Latitude  float64
	Speed     float64
	Direction float64
	Altitude  float64
}

func decodePosition(root *element, m *Message) {
	m.Position = &MobilePosition{
		DeviceID:  m.DeviceID,
		Time:      root.field("Time"),
		Longitude: root.lenientFloat("Longitude"),
		Latitude:  root.lenientFloat("Latitude"),
		Speed:     root.lenientFloat("Speed"),
		Direction: root.lenientFloat("Direction"),
		Altitude:  root.lenientFloat("Altitude"),
	}
}

// EncodeMobilePositionQuery writes a platform's MobilePosition query, also the body of
// its SUBSCRIBE: the device reports every interval, in whole seconds (at least one).
func EncodeMobilePositionQuery(sn int, deviceID string, interval time.Duration) ([]byte, error) {
	if err := needID("MobilePosition query", deviceID); err != nil {
		return nil, err
	}
	if interval < time.Second {
		return nil, fmt.Errorf("%w: position interval %v under a second", ErrInvalid, interval)
	}
	var b strings.Builder
	header(&b, "Query", "MobilePosition", sn, deviceID)
	elemInt(&b, "Interval", int(interval/time.Second))
	closeTag(&b, "Query")
	return platformBody(&b)
}

// EncodeMobilePositionNotify writes a device's position report. Time is required.
func EncodeMobilePositionNotify(sn int, p MobilePosition, charset string) ([]byte, error) {
	if err := needID("MobilePosition", p.DeviceID); err != nil {
		return nil, err
	}
	if p.Time == "" {
		return nil, fmt.Errorf("%w: position without Time", ErrInvalid)
	}
	if err := checkTime("Time", p.Time); err != nil {
		return nil, err
	}
	var b strings.Builder
	header(&b, "Notify", "MobilePosition", sn, p.DeviceID)
	elem(&b, "Time", p.Time)
	elemFloat(&b, "Longitude", p.Longitude)
	elemFloat(&b, "Latitude", p.Latitude)
	elemFloat(&b, "Speed", p.Speed)
	elemFloat(&b, "Direction", p.Direction)
	elemFloat(&b, "Altitude", p.Altitude)
	closeTag(&b, "Notify")
	return finish(&b, charset)
}
