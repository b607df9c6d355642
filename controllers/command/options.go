package command

import (
	"time"

	"github.com/gb28181/camera-operator/controllers/devices"
)

// Options tune the CameraCommand controller. Zero values take the defaults below.
type Options struct {
	// CommandsPerSecond and CommandBurst are the token bucket of each Camera (defaults
	// 5 and 10): a command past it waits Pending (reason TooManyCommands) for its
	// token, it does not fail. The stop that ends a move takes no token.
	CommandsPerSecond float64
	CommandBurst      int
	// MaxInFlight bounds the DeviceControl MESSAGEs awaiting the device's answer, over
	// all Cameras (default 64); past it commands wait Pending (reason TooManyCommands).
	// The stop that ends a move is never held back. One Camera has at most one command
	// in flight anyway: its commands go one at a time.
	MaxInFlight int
	// ControlTimeout bounds the wait for a device's answer to one command (default
	// 10s); past it the command fails with reason Timeout.
	ControlTimeout time.Duration
	// CameraWait is how long, counted from its creation, a command may wait for its
	// Camera to exist and be registered before it fails with reason CameraNotFound or
	// CameraNotRegistered (default 30s): a camera that comes back later does not
	// receive a move its user gave up on.
	CameraWait time.Duration
	// StopRetryWindow is how long after it is due the stop of a move is retried while
	// the device cannot be reached (default 30s); past it the command fails and a
	// Warning says the camera may still be moving.
	StopRetryWindow time.Duration
	// RetryInterval is how soon a command held back by a bound, or a stop that failed,
	// is tried again (default 1s).
	RetryInterval time.Duration
	// MaxConcurrentReconciles is the number of CameraCommand workers (default 16); each
	// may wait up to ControlTimeout for a device.
	MaxConcurrentReconciles int
	// Presets, when not nil, is told of each preset set or deleted, so that the
	// Camera's status.channels[].presets can be asked again.
	Presets PresetWatcher

	// ControllerName is the Events' reporting controller (default
	// devices.DefaultControllerName).
	ControllerName string

	// now is the clock; tests replace it.
	now func() time.Time
}

// Defaults of Options.
const (
	defaultCommandsPerSecond       = 5
	defaultCommandBurst            = 10
	defaultMaxInFlight             = 64
	defaultControlTimeout          = 10 * time.Second
	defaultCameraWait              = 30 * time.Second
	defaultStopRetryWindow         = 30 * time.Second
	defaultRetryInterval           = time.Second
	defaultMaxConcurrentReconciles = 16
)

// WithDefaults returns o with every zero field at its default: the one place the
// controller's defaults are written.
func (o Options) WithDefaults() Options {
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if o.CommandsPerSecond <= 0 {
		o.CommandsPerSecond = defaultCommandsPerSecond
	}
	setInt(&o.CommandBurst, defaultCommandBurst)
	setInt(&o.MaxInFlight, defaultMaxInFlight)
	setInt(&o.MaxConcurrentReconciles, defaultMaxConcurrentReconciles)
	setDur(&o.ControlTimeout, defaultControlTimeout)
	setDur(&o.CameraWait, defaultCameraWait)
	setDur(&o.StopRetryWindow, defaultStopRetryWindow)
	setDur(&o.RetryInterval, defaultRetryInterval)
	if o.ControllerName == "" {
		o.ControllerName = devices.DefaultControllerName
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}
