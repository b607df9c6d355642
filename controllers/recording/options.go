package recording

import (
	"time"

	"github.com/gb28181/camera-operator/controllers/devices"
)

// Options tune the RecordingQuery controller. Zero values take the defaults below.
type Options struct {
	// Location is the zone of the devices' clocks, in which RecordInfo times are
	// written and read (GB devices write local times without a zone). Setup takes the
	// registrar's (the operator's --sip-timezone, from which devices set their clocks).
	Location *time.Location
	// MaxConcurrentQueries bounds the RecordInfo queries in flight in all (default 8);
	// MaxQueriesPerCamera those to one Camera's device (default 2), as NVRs answer one
	// search at a time and queue or drop the others. Past either a query waits Pending
	// with reason TooManyQueries.
	MaxConcurrentQueries int
	MaxQueriesPerCamera  int
	// QueryTimeout bounds one query, all its parts (default 30s); past it the parts
	// that arrived make a Partial answer.
	QueryTimeout time.Duration
	// PendingTimeout is how long a query waits for its Camera to be there and
	// registered (default 10m); then it fails with the reason it waited for.
	PendingTimeout time.Duration
	// RetryInterval is how often a Pending query looks again (default 5s), beside the
	// changes of its Camera.
	RetryInterval time.Duration
	// DefaultTTL is how long a finished query is kept when its spec sets no
	// ttlSecondsAfterFinished (default 1h, as the API's default).
	DefaultTTL time.Duration
	// ControllerName is the Events' reporting controller (default
	// devices.DefaultControllerName).
	ControllerName string

	// now is the clock; tests replace it.
	now func() time.Time
}

// Defaults of Options.
const (
	defaultMaxConcurrentQueries = 8
	defaultMaxQueriesPerCamera  = 2
	defaultQueryTimeout         = 30 * time.Second
	defaultPendingTimeout       = 10 * time.Minute
	defaultRetryInterval        = 5 * time.Second
	defaultTTL                  = time.Hour
)

// spareWorkers are the reconcile workers beside MaxConcurrentQueries: those of queries
// that are not sent (Pending, finished, expired) while the bound's worth of queries wait
// for their devices.
const spareWorkers = 2

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
	setInt(&o.MaxConcurrentQueries, defaultMaxConcurrentQueries)
	setInt(&o.MaxQueriesPerCamera, defaultMaxQueriesPerCamera)
	setDur(&o.QueryTimeout, defaultQueryTimeout)
	setDur(&o.PendingTimeout, defaultPendingTimeout)
	setDur(&o.RetryInterval, defaultRetryInterval)
	setDur(&o.DefaultTTL, defaultTTL)
	if o.ControllerName == "" {
		o.ControllerName = devices.DefaultControllerName
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}
