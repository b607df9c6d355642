package camera

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// eventsDropped counts the Kubernetes Events not recorded for want of budget, or while
// status writes were backlogged (see budgetedRecorder).
var eventsDropped = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "camera_operator_events_dropped_total",
	Help: "Kubernetes Events on Cameras dropped because more were due than --events-per-second allows, or because Camera status writes were backlogged.",
})

func init() {
	metrics.Registry.MustRegister(eventsDropped)
}
