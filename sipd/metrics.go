package sipd

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the registrar's Prometheus series. The labelled children used on the hot
// path are resolved once here, so recording costs no label lookup or allocation.
type metrics struct {
	registrations  map[string]prometheus.Counter // by result
	authFailures   map[string]prometheus.Counter // by reason
	activeBindings prometheus.Gauge
	keepalives     prometheus.Counter
	notifies       prometheus.Counter
	latency        map[string]prometheus.Observer // by method
	notifications  prometheus.Counter
	shed           prometheus.Counter
	dropped        prometheus.Counter
	queueDelay     prometheus.Observer
	tcpConns       prometheus.Gauge
}

// Results of a REGISTER, the label values of sipd_registrations_total.
const (
	resRegistered   = "registered"
	resRefreshed    = "refreshed"
	resUnregistered = "unregistered"
	resChallenged   = "challenged"
	resStale        = "stale"
	resForbidden    = "forbidden"
	resNotFound     = "not_found"
	resUnavailable  = "unavailable"
	resBadRequest   = "bad_request"
	resTooBrief     = "interval_too_brief"
)

// Reasons of an authentication failure, the label values of sipd_auth_failures_total.
const (
	failWrongPassword = "wrong_password"
	failUsername      = "username_mismatch"
	failBlocked       = "blocked"
	failSuspended     = "suspended"
	failNoCredentials = "no_credentials"
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	registrations := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipd_registrations_total",
		Help: "REGISTER requests answered, by result.",
	}, []string{"result"})
	authFailures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sipd_auth_failures_total",
		Help: "REGISTER requests refused for authentication, by reason.",
	}, []string{"reason"})
	active := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sipd_active_bindings",
		Help: "Devices with a live registration.",
	})
	keepalives := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_keepalives_total",
		Help: "Keepalives recorded from registered devices.",
	})
	notifies := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_notifies_total",
		Help: "Notify MESSAGEs other than keepalives from registered devices.",
	})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sipd_request_duration_seconds",
		Help:    "Time to handle one SIP request, by method.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 2.5e-2},
	}, []string{"method"})
	notifications := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_change_notifications_total",
		Help: "Device changes signalled to the controllers (quiet keepalives and refreshes are not).",
	})
	shed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_requests_shed_total",
		Help: "Requests answered 503 or dropped unhandled because the registrar was over capacity.",
	})
	dropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sipd_messages_dropped_total",
		Help: "SIP messages dropped as unparseable or oversized.",
	})
	queueDelay := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sipd_udp_queue_delay_seconds",
		Help:    "Time a UDP datagram waited between the socket and a worker.",
		Buckets: []float64{1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 0.1, 0.2, 0.4},
	})
	tcpConns := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sipd_tcp_connections",
		Help: "Open TCP connections from devices.",
	})
	if reg != nil {
		var errs []error
		registrations = registered(reg, registrations, &errs)
		authFailures = registered(reg, authFailures, &errs)
		active = registered(reg, active, &errs)
		keepalives = registered(reg, keepalives, &errs)
		notifies = registered(reg, notifies, &errs)
		latency = registered(reg, latency, &errs)
		notifications = registered(reg, notifications, &errs)
		shed = registered(reg, shed, &errs)
		dropped = registered(reg, dropped, &errs)
		queueDelay = registered(reg, queueDelay, &errs)
		tcpConns = registered(reg, tcpConns, &errs)
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	m := &metrics{
		registrations:  map[string]prometheus.Counter{},
		authFailures:   map[string]prometheus.Counter{},
		activeBindings: active,
		keepalives:     keepalives,
		notifies:       notifies,
		latency:        map[string]prometheus.Observer{},
		notifications:  notifications,
		shed:           shed,
		dropped:        dropped,
		queueDelay:     queueDelay,
		tcpConns:       tcpConns,
	}
	for _, r := range []string{resRegistered, resRefreshed, resUnregistered, resChallenged, resStale, resForbidden, resNotFound, resUnavailable, resBadRequest, resTooBrief} {
		m.registrations[r] = registrations.WithLabelValues(r)
	}
	for _, r := range []string{failWrongPassword, failUsername, failBlocked, failSuspended, failNoCredentials} {
		m.authFailures[r] = authFailures.WithLabelValues(r)
	}
	for _, meth := range []string{"REGISTER", "MESSAGE", "OPTIONS", "NOTIFY", "other"} {
		m.latency[meth] = latency.WithLabelValues(meth)
	}
	return m, nil
}

func (m *metrics) registration(result string) { m.registrations[result].Inc() }
func (m *metrics) authFailure(reason string)  { m.authFailures[reason].Inc() }

// registered registers c with reg and returns it, or returns the collector of the same
// description already registered there: a second Server in one process (tests,
// restarts) shares the series. A failure is appended to errs.
func registered[C prometheus.Collector](reg prometheus.Registerer, c C, errs *[]error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	*errs = append(*errs, err)
	return c
}
