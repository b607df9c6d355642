package sim

import (
	"math"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The device's position, for MobilePosition reports: it drives round a circle of about
// 1 km in diameter in central Beijing once every ten minutes (some 19 km/h), so that
// successive reports differ. Like the catalog events, the position is a function of
// time, and costs nothing until someone asks for it.

const (
	positionCentreLongitude = 116.397
	positionCentreLatitude  = 39.909
	positionRadiusDegrees   = 0.005
	positionLap             = 10 * time.Minute
)

// position is where the device is at t.
func (d *Device) position(t time.Time) manscdp.MobilePosition {
	angle := 2 * math.Pi * float64((t.UnixNano()-d.born)%int64(positionLap)) / float64(positionLap)
	lapKm := 2 * math.Pi * positionRadiusDegrees * 111 // a degree of latitude is some 111 km
	return manscdp.MobilePosition{
		DeviceID:  d.cfg.ID,
		Time:      manscdp.FormatTime(t.Add(d.clockLead()), d.cfg.Location),
		Longitude: round6(positionCentreLongitude + positionRadiusDegrees*math.Cos(angle)),
		Latitude:  round6(positionCentreLatitude + positionRadiusDegrees*math.Sin(angle)),
		Speed:     math.Round(lapKm/positionLap.Hours()*10) / 10,
		// Counter-clockwise round the centre: heading east of north is minus the angle
		// (counted from east, counter-clockwise) modulo a turn.
		Direction: math.Round(math.Mod(360-angle*180/math.Pi, 360)),
		Altitude:  50,
	}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
