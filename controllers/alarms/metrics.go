package alarms

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The sink's series, in controller-runtime's registry (the operator's /metrics).
var (
	sent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_alarm_sink_sent_total",
		Help: "Alarms the alarm sink's URL accepted (2xx).",
	})
	failed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_alarm_sink_failed_total",
		Help: "Alarms given up on after their attempts, or refused by the alarm sink's URL with a 4xx.",
	})
	dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_alarm_sink_dropped_total",
		Help: "Alarms not sent to the alarm sink because its queue was full.",
	})
	retried = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_alarm_sink_retries_total",
		Help: "POSTs to the alarm sink's URL repeated after a failed one.",
	})
)

func init() {
	metrics.Registry.MustRegister(sent, failed, dropped, retried)
}
