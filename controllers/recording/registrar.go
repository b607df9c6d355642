package recording

import (
	"context"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Registrar is what the RecordingQuery controller needs from the SIP registrar;
// *sipd.Server implements it.
type Registrar interface {
	Device(deviceID string) sipd.DeviceState
	// QueryRecordInfo asks a device for its recordings through a binding dev.Owner (the
	// Camera's UID) holds, and joins the answer's parts.
	QueryRecordInfo(ctx context.Context, dev sipd.DeviceRef, q manscdp.RecordQuery, loc *time.Location) (*manscdp.RecordInfo, error)
	// Location is the zone of the devices' clocks.
	Location() *time.Location
	// Ready is closed once the registrar serves.
	Ready() <-chan struct{}
}

var _ Registrar = (*sipd.Server)(nil)
