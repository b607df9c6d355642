package sim

import (
	"strings"
	"time"
)

// The device's clock. GB/T 28181 devices set their clock from the Date header of the
// registrar's 200 OK (§9.10): local wall-clock time, with or without milliseconds, in
// the platform's zone. The simulated device keeps the difference from this machine's
// clock, adopting it only when it is a second or more, as a device without NTP sets its
// clock coarsely; Config.ClockSkew puts it further off, as a device whose clock setting
// failed. DeviceStatus answers carry this clock, and recordings end at its now.

// ChinaStandardTime is UTC+8, the zone GB/T 28181 platforms and devices write MANSCDP
// times and Date headers in. China keeps no daylight saving time, so a fixed zone is
// exact and needs no time zone database.
var ChinaStandardTime = time.FixedZone("CST", 8*3600)

// now is the device's clock, in its location.
func (d *Device) now() time.Time {
	return time.Now().Add(d.clockLead()).In(d.cfg.Location)
}

// clockLead is how far the device's clock is ahead of this machine's.
func (d *Device) clockLead() time.Duration {
	return time.Duration(d.clockOffset.Load()) + d.cfg.ClockSkew
}

// setClock sets the device's clock from a registrar's Date header; a header it cannot
// read leaves the clock as it is.
func (d *Device) setClock(date string) {
	date = strings.TrimSpace(date)
	for _, layout := range []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05"} {
		t, err := time.ParseInLocation(layout, date, d.cfg.Location)
		if err != nil {
			continue
		}
		offset := time.Until(t)
		if offset.Abs() < time.Second {
			offset = 0
		}
		d.clockOffset.Store(int64(offset))
		return
	}
}
