package stream

import (
	"time"

	"github.com/gb28181/camera-operator/controllers/devices"
)

// Options tune the Stream controller. Zero values take the defaults below.
type Options struct {
	// Realm is the registrar's SIP domain ID, which Setup takes from the registrar:
	// digits 4-8 of a 10-digit one are the middle of a generated SSRC (3402000000 gives
	// 20000; another realm gives 00000).
	Realm string
	// MaxStreamsPerCamera bounds the Streams of one Camera that are invited or playing
	// at once (default 8); more wait in Failed with reason TooManyStreams until one
	// stops. Devices themselves rarely serve more than a few.
	MaxStreamsPerCamera int
	// InviteTimeout bounds one INVITE, provisional answers included (default: the
	// registrar's own bound, sipd.Config.InviteTimeout).
	InviteTimeout time.Duration
	// ByeTimeout bounds the wait for the answer to a BYE (default 5s); past it the
	// dialog is forgotten and status.lastByeError says so.
	ByeTimeout time.Duration
	// ControlTimeout bounds the wait for the answer to one playback control, an INFO
	// (default 5s); past it status.playback.lastError says so.
	ControlTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between failed INVITEs of a Stream
	// (defaults 1s and 1m): RetryMin doubled for each failure in a row.
	RetryMin, RetryMax time.Duration
	// CheckInterval is how often a playing Stream is checked against the registrar
	// even when nothing signalled a change (default 30s): the safety net under the
	// device-change notifications, which are dropped past MaxPendingChanges.
	CheckInterval time.Duration
	// MaxPendingChanges bounds the device changes waiting to be mapped to Streams
	// (default 4096).
	MaxPendingChanges int
	// MaxConcurrentReconciles is the number of Stream workers (default 32); each may
	// wait for an INVITE or a BYE.
	MaxConcurrentReconciles int

	// ControllerName is the Events' reporting controller (default
	// devices.DefaultControllerName).
	ControllerName string

	// now is the clock; tests replace it.
	now func() time.Time
}

// Defaults of Options.
const (
	defaultMaxStreamsPerCamera     = 8
	defaultMaxConcurrentReconciles = 32
	defaultMaxPendingChanges       = 4096
	defaultByeTimeout              = 5 * time.Second
	defaultControlTimeout          = 5 * time.Second
	defaultRetryFloor              = time.Second
	defaultRetryMax                = time.Minute
	defaultCheckInterval           = 30 * time.Second
)

// WithDefaults returns o with every zero field at its default: the one place the
// controller's defaults are written (the operator's flags take theirs from here).
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
	setInt(&o.MaxStreamsPerCamera, defaultMaxStreamsPerCamera)
	setInt(&o.MaxPendingChanges, defaultMaxPendingChanges)
	setInt(&o.MaxConcurrentReconciles, defaultMaxConcurrentReconciles)
	setDur(&o.ByeTimeout, defaultByeTimeout)
	setDur(&o.ControlTimeout, defaultControlTimeout)
	setDur(&o.RetryMin, defaultRetryFloor)
	setDur(&o.RetryMax, defaultRetryMax)
	setDur(&o.CheckInterval, defaultCheckInterval)
	if o.ControllerName == "" {
		o.ControllerName = devices.DefaultControllerName
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}
