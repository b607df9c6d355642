package camera

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The series of what devices tell, in controller-runtime's registry.
var (
	// alarmsTotal counts alarms by priority (1-4) and method (1-7); values a device
	// makes up are counted as "other", so that a device cannot grow the series.
	alarmsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "camera_operator_alarms_total",
		Help: "Alarms devices raised (by MESSAGE or in an alarm subscription), by priority and method.",
	}, []string{"priority", "method"})
	// alarmEventsDropped counts the Alarm Events over a Camera's budget.
	alarmEventsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_alarm_events_dropped_total",
		Help: "Alarm Events not recorded because their Camera's alarm Event budget was spent.",
	})
	// channelEventsDropped counts catalog NOTIFY items dropped at a device's bound.
	channelEventsDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "camera_operator_channel_events_dropped_total",
		Help: "Catalog changes of a device dropped because as many channels as a Camera's status holds already waited for a write.",
	})
)

func init() {
	metrics.Registry.MustRegister(alarmsTotal, alarmEventsDropped, channelEventsDropped)
}

// alarmsReceived is the counter of a's priority and method.
func alarmsReceived(a *gbv1.Alarm) prometheus.Counter {
	label := func(v, most int32) string {
		if v < 1 || v > most {
			return "other"
		}
		return strconv.Itoa(int(v))
	}
	return alarmsTotal.WithLabelValues(label(a.Priority, 4), label(a.Method, 7))
}
