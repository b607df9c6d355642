package controllers

import "time"

// StreamOptions tune the Stream controller. Zero values take the defaults below.
type StreamOptions struct {
	// Realm is the registrar's 10-digit SIP domain ID; digits 4-8 of it are the middle
	// of a generated SSRC (default 3402000000, giving 20000).
	Realm string
	// MaxStreamsPerCamera bounds the Streams of one Camera that are invited or playing
	// at once (default 8); more wait in Failed with reason TooManyStreams until one
	// stops. Devices themselves rarely serve more than a few.
	MaxStreamsPerCamera int
	// InviteTimeout bounds one INVITE, provisional answers included (default 32s).
	InviteTimeout time.Duration
	// ByeTimeout bounds the wait for the answer to a BYE (default 5s); past it the
	// dialog is forgotten and status.lastByeError says so.
	ByeTimeout time.Duration
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
	// MaxConcurrentReconciles is the number of Stream workers (default 8); each may
	// wait for an INVITE or a BYE.
	MaxConcurrentReconciles int

	// ControllerName is the Events' reporting controller (default "camera-operator").
	ControllerName string

	// now is the clock; tests replace it.
	now func() time.Time
}

// Defaults of StreamOptions.
const (
	DefaultMaxStreamsPerCamera = 8
	DefaultStreamByeTimeout    = 5 * time.Second
	DefaultStreamRetryMin      = time.Second
	DefaultStreamRetryMax      = time.Minute
	DefaultStreamCheckInterval = 30 * time.Second
)

func (o StreamOptions) withDefaults() StreamOptions {
	if len(o.Realm) < 8 {
		o.Realm = "3402000000"
	}
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
	setInt(&o.MaxStreamsPerCamera, DefaultMaxStreamsPerCamera)
	setInt(&o.MaxPendingChanges, 4096)
	setInt(&o.MaxConcurrentReconciles, DefaultMaxConcurrentReconciles)
	setDur(&o.InviteTimeout, 32*time.Second)
	setDur(&o.ByeTimeout, DefaultStreamByeTimeout)
	setDur(&o.RetryMin, DefaultStreamRetryMin)
	setDur(&o.RetryMax, DefaultStreamRetryMax)
	setDur(&o.CheckInterval, DefaultStreamCheckInterval)
	if o.ControllerName == "" {
		o.ControllerName = DefaultControllerName
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}
