// Package statuswrites counts the operator's status writes, which are what a
// registration storm costs the API server, in camera_operator_status_writes_total by
// kind and outcome. The manager's client counts every controller's writes through it;
// the Camera controller, which sends its own, counts them itself.
package statuswrites

import (
	"github.com/prometheus/client_golang/prometheus"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var statusWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "camera_operator_status_writes_total",
	Help: "Status subresource writes by kind and result (ok, conflict, error).",
}, []string{"kind", "result"})

func init() {
	metrics.Registry.MustRegister(statusWrites)
}

// Count counts a status write of an object of kind that ended with err.
func Count(kind string, err error) {
	result := "ok"
	switch {
	case kerrors.IsConflict(err):
		result = "conflict"
	case err != nil:
		result = "error"
	}
	statusWrites.WithLabelValues(kind, result).Inc()
}
