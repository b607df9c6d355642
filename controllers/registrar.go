package controllers

import (
	"context"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Registrar is what the controllers need from the SIP registrar; *sipd.Server
// implements it. Keeping it an interface keeps the wiring in main.go decoupled.
type Registrar interface {
	// Events delivers device events, coalesced per device.
	Events() <-chan sipd.Event
	// Device returns the registrar's current view of a device.
	Device(deviceID string) sipd.DeviceState
	// Seed installs bindings recovered from Camera status.
	Seed(bindings []sipd.Binding)
	// Drop removes a device's binding.
	Drop(deviceID string)
	// QueryDeviceInfo and QueryCatalog query a registered device.
	QueryDeviceInfo(ctx context.Context, deviceID string) (*manscdp.DeviceInfo, error)
	QueryCatalog(ctx context.Context, deviceID string) (*manscdp.Catalog, error)
}

var _ Registrar = (*sipd.Server)(nil)
