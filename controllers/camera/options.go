package camera

import (
	"time"

	"github.com/gb28181/camera-operator/controllers/devices"
)

// Options tune the Camera controller. Zero values take the defaults below.
type Options struct {
	// KeepaliveStatusInterval is the least time between two status writes caused only by
	// liveness: a newer lastKeepaliveTime, a refreshed registration's expiresAt or a
	// re-received but unchanged catalog (default 5m). Any other change is written at once.
	KeepaliveStatusInterval time.Duration
	// LivenessInStatus records liveness in the Camera's status alone, every
	// KeepaliveStatusInterval. By default liveness between status writes is recorded in a
	// Lease named after the Camera, at a quarter of the API server's cost, and the status's
	// liveness fields are written at least every 12 intervals (lease.go).
	LivenessInStatus bool
	// QueryTimeout bounds each DeviceInfo and Catalog query (default 30s).
	QueryTimeout time.Duration
	// QueryRetryInterval is how long to wait before querying a device again after a
	// failed or partial answer (default 1m, never longer than the catalog refresh interval).
	QueryRetryInterval time.Duration
	// MaxConcurrentQueries bounds the devices queried at the same time (default 16).
	MaxConcurrentQueries int
	// QueryLookahead bounds the registrations whose first queries run ahead of the
	// status writes that carry their answers (default 1024; negative: unbounded). A
	// registration storm's queries then go at its writes' pace, and most of its Cameras
	// show Registered sooner (querylookahead.go).
	QueryLookahead int
	// MaxConcurrentReconciles is the number of reconcile workers (default 32). Each
	// mostly waits on a status write, so more workers than cores pay off until the API
	// server's CPU or the client's QPS limit is reached.
	MaxConcurrentReconciles int
	// MaxCachedSecrets bounds the Secrets whose data is kept in memory (default
	// defaultMaxCachedSecrets); set it above the number of Secrets Cameras name.
	MaxCachedSecrets int
	// AuthFailureEventInterval is the least time between two AuthenticationFailed Events
	// on one Camera (default 1m); a device retrying a wrong password must not flood the
	// API server with Events.
	AuthFailureEventInterval time.Duration
	// EventsPerSecond and EventBurst budget the Kubernetes Events recorded on all
	// Cameras together (defaults 50 and 500); past it Events are dropped and counted in
	// camera_operator_events_dropped_total, so that a fleet registering at once spends
	// the API server on status, not on Events.
	EventsPerSecond float64
	EventBurst      int
	// DeviceEvents tunes the subscriptions and what devices tell: alarms above all
	// (deviceevents_options.go).
	DeviceEvents DeviceEventOptions
	// Shard is the name of the shard this operator serves (its Cameras carry the
	// gb28181.io/shard label with this value; the manager's cache selects them), recorded
	// in each Camera's status.shard. Empty: the unsharded operator.
	Shard string
	// DeviceQueryTimeout bounds each DeviceStatus, ConfigDownload, DeviceConfig,
	// GuardCmd and PresetQuery exchange with a device (default 10s): a device that
	// accepts the MESSAGE and never answers costs a query slot this long, once per
	// registration (see devicequery.go).
	DeviceQueryTimeout time.Duration
	// MaxClockOffset is how far a device's clock (its DeviceStatus) may be off the
	// platform's before the ClockSynchronized condition is False (default 10s).
	MaxClockOffset time.Duration
	// Location is the zone of the devices' clocks, in which their MANSCDP times are
	// read: the zone of the registrar's Date header they set them from (default
	// Asia/Shanghai, as sipd.Config.Location).
	Location *time.Location
	// MaxPresetChannels bounds the channels of one device whose presets are asked
	// (default 16): an NVR's first video channels, by ID.
	MaxPresetChannels int
	// Pacing paces status writes and device jobs (queries, subscriptions) while the
	// registrar's UDP queue delay says it is falling behind (pacer.go).
	Pacing PacingOptions
	// ControllerName names the controller, its Events' reporting controller and its
	// field manager (default devices.DefaultControllerName).
	ControllerName string

	// now is the clock; tests replace it.
	now func() time.Time
}

// Defaults of Options.
const (
	defaultKeepaliveStatusInterval  = 5 * time.Minute
	defaultQueryTimeout             = 30 * time.Second
	defaultQueryRetryInterval       = time.Minute
	defaultMaxConcurrentQueries     = 16
	defaultQueryLookahead           = 1024
	defaultMaxConcurrentReconciles  = 32
	defaultAuthFailureEventInterval = time.Minute
	defaultEventsPerSecond          = 50
	defaultEventBurst               = 500
	defaultDeviceQueryTimeout       = 10 * time.Second
	defaultMaxClockOffset           = 10 * time.Second
	defaultMaxPresetChannels        = 16
)

// WithDefaults returns o with every zero field at its default: the one place the
// controller's defaults are written (the operator's flags take theirs from here).
func (o Options) WithDefaults() Options {
	if o.KeepaliveStatusInterval <= 0 {
		o.KeepaliveStatusInterval = defaultKeepaliveStatusInterval
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = defaultQueryTimeout
	}
	if o.QueryRetryInterval <= 0 {
		o.QueryRetryInterval = defaultQueryRetryInterval
	}
	if o.MaxConcurrentQueries <= 0 {
		o.MaxConcurrentQueries = defaultMaxConcurrentQueries
	}
	if o.QueryLookahead == 0 {
		o.QueryLookahead = defaultQueryLookahead
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = defaultMaxConcurrentReconciles
	}
	if o.MaxCachedSecrets <= 0 {
		o.MaxCachedSecrets = defaultMaxCachedSecrets
	}
	if o.AuthFailureEventInterval <= 0 {
		o.AuthFailureEventInterval = defaultAuthFailureEventInterval
	}
	if o.EventsPerSecond <= 0 {
		o.EventsPerSecond = defaultEventsPerSecond
	}
	if o.EventBurst <= 0 {
		o.EventBurst = defaultEventBurst
	}
	if o.DeviceQueryTimeout <= 0 {
		o.DeviceQueryTimeout = defaultDeviceQueryTimeout
	}
	if o.MaxClockOffset <= 0 {
		o.MaxClockOffset = defaultMaxClockOffset
	}
	if o.Location == nil {
		o.Location = defaultLocation()
	}
	if o.MaxPresetChannels <= 0 {
		o.MaxPresetChannels = defaultMaxPresetChannels
	}
	o.DeviceEvents = o.DeviceEvents.WithDefaults()
	o.Pacing = o.Pacing.WithDefaults()
	if o.ControllerName == "" {
		o.ControllerName = devices.DefaultControllerName
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// defaultLocation is China Standard Time, the zone GB/T 28181 devices keep.
func defaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600) // no zone database; Beijing has had no DST since 1991
}
