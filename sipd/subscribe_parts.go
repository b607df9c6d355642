package sipd

import (
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// What the registrar holds for subscriptions and what devices tell: the table of live
// subscriptions, the queue of events for the handler, the slots of Alarm Responses in
// flight, their metrics and log throttles. New makes them (newSubscriptionParts), Start
// runs the delivery of events.

// subscriptionParts is the registrar's state of subscriptions and device events.
type subscriptionParts struct {
	table        *subscriptionTable
	events       *eventQueue
	alarmAnswers chan struct{}
	metrics      *subscriptionMetrics
	// sn numbers the query bodies of SUBSCRIBEs.
	sn atomic.Int64
	// unknownNotifyLog, badBodyLog and eventsDroppedLog throttle the logs of NOTIFYs for
	// no dialog (or too large), of undecodable NOTIFY bodies, and of dropped events.
	unknownNotifyLog, badBodyLog, eventsDroppedLog logThrottle
}

func newSubscriptionParts(cfg Config) (*subscriptionParts, error) {
	m, err := newSubscriptionMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &subscriptionParts{
		table:        newSubscriptionTable(cfg.MaxSubscriptions, cfg.MaxSubscriptionsPerDevice, func(n int) { m.live.Set(float64(n)) }),
		events:       newEventQueue(cfg.MaxPendingEvents),
		alarmAnswers: make(chan struct{}, maxAlarmResponses),
		metrics:      m,
	}, nil
}

// Results of a NOTIFY, the label values of sipd_subscription_notifies_total.
const (
	notifyAccepted = "accepted"
	notifyUnknown  = "unknown_dialog"
	notifyTooLarge = "too_large"
)

// subscriptionMetrics are the Prometheus series of subscriptions and device events.
type subscriptionMetrics struct {
	live                  prometheus.Gauge
	notifies              map[string]prometheus.Counter
	eventsDropped         prometheus.Counter
	alarmResponsesSkipped prometheus.Counter
}

func newSubscriptionMetrics(reg prometheus.Registerer) (*subscriptionMetrics, error) {
	live := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sipd_subscriptions",
		Help: "Subscriptions the registrar holds with devices.",
	})
	notifies := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipd_subscription_notifies_total",
		Help: "NOTIFY requests from devices, by result: accepted, unknown_dialog (answered 481), too_large (413).",
	}, []string{"result"})
	dropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_device_events_dropped_total",
		Help: "Device events (NOTIFY and alarm contents) dropped because MaxPendingEvents were waiting for the handler.",
	})
	skipped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_alarm_responses_skipped_total",
		Help: "Alarms answered 200 without the platform's Alarm Response, because too many Responses were in flight.",
	})
	collectors := []prometheus.Collector{live, notifies, dropped, skipped}
	if reg != nil {
		for i, c := range collectors {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					return nil, err
				}
				// A second Server in one process (tests, restarts) shares the series.
				collectors[i] = are.ExistingCollector
			}
		}
	}
	m := &subscriptionMetrics{
		live:                  collectors[0].(prometheus.Gauge),
		notifies:              map[string]prometheus.Counter{},
		eventsDropped:         collectors[2].(prometheus.Counter),
		alarmResponsesSkipped: collectors[3].(prometheus.Counter),
	}
	vec := collectors[1].(*prometheus.CounterVec)
	for _, r := range []string{notifyAccepted, notifyUnknown, notifyTooLarge} {
		m.notifies[r] = vec.WithLabelValues(r)
	}
	return m, nil
}
