package camera

import (
	"context"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Registrar is what the controllers need from the SIP registrar; *sipd.Server
// implements it. Changes come the other way, through DeviceChanges (the registrar's
// sipd.Notifier).
type Registrar interface {
	// Device returns the registrar's current view of a device.
	Device(deviceID string) sipd.DeviceState
	// Seed installs bindings recovered from Camera status.
	Seed(bindings []sipd.Binding)
	// Drop forgets a device: its binding and its failures.
	Drop(deviceID string)
	// DropOwned removes a device's binding if the given owner's credentials accepted it.
	DropOwned(deviceID, owner string) bool
	// Quiet stops signalling keepalives and same-place refreshes of the device's
	// registration made at registeredAt until the given time.
	Quiet(deviceID string, registeredAt, until time.Time) bool
	// WatchSilence has the registrar signal the device, first checked at the given
	// time, once its registration made at registeredAt has shown no sign of life for
	// timeout: offline detection without a reconcile of every device per timeout.
	WatchSilence(deviceID string, registeredAt, at time.Time, timeout time.Duration) bool
	// QueryDeviceInfo and QueryCatalog query a registered device through a binding the
	// named owner (a Camera's UID) holds.
	QueryDeviceInfo(ctx context.Context, dev sipd.DeviceRef) (*manscdp.DeviceInfo, error)
	QueryCatalog(ctx context.Context, dev sipd.DeviceRef) (*manscdp.Catalog, error)
	// deviceQueries ask the device's status, settings and presets, and arm it.
	deviceQueries
}

var _ Registrar = (*sipd.Server)(nil)
