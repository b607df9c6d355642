package manscdp

import (
	"fmt"
	"strings"
	"time"
)

// MANSCDP times (RecordInfo's StartTime and EndTime, AlarmTime, DeviceTime, a
// position's Time) are local wall-clock times without a zone: 2026-12-03T08:00:00. The
// zone is the device's, which only the caller knows, so decoded bodies keep the text as
// sent and ParseTime reads it once a location is at hand; the encoders write times with
// FormatTime in the location they are given.

// TimeLayout is the layout of MANSCDP times.
const TimeLayout = "2006-01-02T15:04:05"

// timeLayouts are what devices write in practice: the standard's layout, with
// fractional seconds (keepalive-era firmware copies the REGISTER Date format), or with a
// space for the T.
var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// FormatTime writes t as a MANSCDP time in loc. A nil loc is UTC.
func FormatTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(TimeLayout)
}

// ParseTime reads a MANSCDP time as a wall-clock time in loc (nil meaning UTC). A time
// that carries its own zone (RFC 3339, which a few platforms send) keeps it. Other text
// is an error wrapping ErrMalformed.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: time %q is not 2006-01-02T15:04:05", ErrMalformed, truncate(s))
}

// checkTime refuses a time an encoder was handed that no device could read. Empty is
// allowed: the caller decides whether the element is optional.
func checkTime(name, s string) error {
	if s == "" {
		return nil
	}
	if _, err := ParseTime(s, time.UTC); err != nil {
		return fmt.Errorf("%w: %s %q is not a MANSCDP time", ErrInvalid, name, truncate(s))
	}
	return nil
}
