package camera

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// SIP first: the registrar shares the operator's CPU (and, as `make dev` runs it, the
// API server's) with the operator's own work: status writes and the queries and
// subscriptions it sends devices. When a registration storm's statuses are written and
// its devices queried at full speed, the registrar's UDP queue grows, devices retransmit, and the storm feeds
// itself. So while the registrar's queue delay is over a threshold that work is paced by
// a token bucket whose rate halves at each check over it and grows by half at each
// check under half of it, back to unpaced past the ceiling (additive decrease would
// leave the registrar behind for seconds; a cut to the floor at once would stall a
// backlog that is not to blame). The backlog is written, and queried, when the storm
// passes; the registrar's own state never waits for the API.
//
// Status writes and the jobs that send devices requests (queries, subscriptions) have a
// pacer each, on the same options: each is held back by the registrar alone, not by the
// other's backlog. The querier and the subscriber share theirs, as the registrar falls
// behind on the sum of what devices are asked.

// PacingOptions tune the pacing of status writes and of the jobs that query and
// subscribe devices by the registrar's queue delay.
type PacingOptions struct {
	// QueueDelay is the registrar's UDP queue delay above which status writes and device
	// jobs are paced (default 20ms, a twentieth of its 400ms shedding bound); negative:
	// never paced.
	QueueDelay time.Duration
	// Floor is the least status writes, and device jobs, per second while paced (default
	// 10): a storm that never ends still sees its statuses written and its devices
	// queried and subscribed.
	Floor float64
	// Ceiling is the paced rate past which pacing ends (default 400/s, about what one
	// API server core writes, and more device jobs than MaxConcurrentQueries run).
	Ceiling float64
}

// Defaults of PacingOptions.
const (
	defaultPacingQueueDelay = 20 * time.Millisecond
	defaultPacingFloor      = 10
	defaultPacingCeiling    = 400
	// pacerCheckEvery is how often the queue delay is read and the rate adjusted.
	pacerCheckEvery = 100 * time.Millisecond
)

// WithDefaults returns o with every zero field at its default.
func (o PacingOptions) WithDefaults() PacingOptions {
	if o.QueueDelay == 0 {
		o.QueueDelay = defaultPacingQueueDelay
	}
	if o.Floor <= 0 {
		o.Floor = defaultPacingFloor
	}
	if o.Ceiling <= o.Floor {
		o.Ceiling = max(defaultPacingCeiling, 2*o.Floor)
	}
	return o
}

// The pacers' rates, 0 while unpaced.
var (
	statusWritePace = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "camera_operator_status_write_pace",
		Help: "Camera status writes per second allowed while the registrar's UDP queue delay paces them; 0 while they are not paced.",
	})
	deviceJobPace = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "camera_operator_device_query_pace",
		Help: "Device jobs (queries, subscriptions) started per second allowed while the registrar's UDP queue delay paces them; 0 while they are not paced.",
	})
)

func init() {
	metrics.Registry.MustRegister(statusWritePace, deviceJobPace)
}

// pacer decides how long each paced unit of work (a status write, a device job) waits.
// Its clock is passed in, so that tests drive it.
type pacer struct {
	// queueDelay reads the registrar's queue delay; nil: never paced.
	queueDelay func() time.Duration
	opts       PacingOptions
	// gauge shows the rate; nil: shown nowhere.
	gauge prometheus.Gauge

	mu sync.Mutex
	// limiter is the token bucket while paced, nil while not.
	limiter *rate.Limiter
	checked time.Time
}

// newPacer paces by queueDelay (nil: never) as opts say, showing its rate in gauge.
func newPacer(queueDelay func() time.Duration, opts PacingOptions, gauge prometheus.Gauge) *pacer {
	opts = opts.WithDefaults()
	if opts.QueueDelay < 0 {
		queueDelay = nil
	}
	return &pacer{queueDelay: queueDelay, opts: opts, gauge: gauge}
}

// delay reserves a unit of work at now and returns how long it must wait first. A nil
// pacer never holds work back.
func (p *pacer) delay(now time.Time) time.Duration {
	if p == nil || p.queueDelay == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.checked) >= pacerCheckEvery {
		p.checked = now
		p.adjust(now, p.queueDelay())
	}
	if p.limiter == nil {
		return 0
	}
	return p.limiter.ReserveN(now, 1).DelayFrom(now)
}

// adjust sets the rate from the queue delay d read at now; p.mu is held.
func (p *pacer) adjust(now time.Time, d time.Duration) {
	switch {
	case d > p.opts.QueueDelay && p.limiter == nil:
		// A burst of one: paced work goes one at a time, spread over the second.
		p.limiter = rate.NewLimiter(rate.Limit(p.opts.Ceiling/2), 1)
		p.limiter.ReserveN(now, 1) // the bucket starts empty
	case d > p.opts.QueueDelay:
		p.limiter.SetLimitAt(now, max(rate.Limit(p.opts.Floor), p.limiter.Limit()/2))
	case p.limiter != nil && d <= p.opts.QueueDelay/2:
		if next := p.limiter.Limit() * 3 / 2; next < rate.Limit(p.opts.Ceiling) {
			p.limiter.SetLimitAt(now, next)
		} else {
			p.limiter = nil
		}
	}
	if p.gauge != nil {
		p.gauge.Set(float64(p.pace()))
	}
}

// pace is the current rate, 0 while unpaced; p.mu is held.
func (p *pacer) pace() rate.Limit {
	if p.limiter == nil {
		return 0
	}
	return p.limiter.Limit()
}

// wait holds a unit of work until the pace allows it; false when ctx ended first.
func (p *pacer) wait(ctx context.Context, now time.Time) bool {
	d := p.delay(now)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
