package camera

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/gb28181/camera-operator/sipd"
)

// Every request the querier sends a device is counted by how it ended, so that a fleet
// whose devices stop answering (a firmware that ignores Catalog, a NAT that lost its
// mapping, a registrar too busy to send) shows in a graph before a user asks why a
// Camera has no channels. The querier retries on its own; the counter says what it
// retried for.

// Results of a device request (the result label).
const (
	queryAnswered   = "answered"
	queryPartial    = "partial"    // a catalog whose parts did not all arrive in time
	queryRefused    = "refused"    // a non-2xx answer, or a Response with Result ERROR
	queryNoAnswer   = "no_answer"  // nothing, or no Response, before the request's timeout
	queryNotSent    = "not_sent"   // the registrar's bounds, or the device not registered
	queryUnreadable = "unreadable" // an answer that could not be read
)

// deviceQueriesTotal counts the querier's requests by CmdType (command) and result.
var deviceQueriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "camera_operator_device_queries_total",
	Help: "Requests the operator sent devices after they registered and at each refresh, by MANSCDP command (DeviceInfo, Catalog, DeviceStatus, ConfigDownload, DeviceConfig, DeviceControl, PresetQuery) and result: answered, partial (a catalog whose parts did not all arrive), refused, no_answer, not_sent (the registrar's bounds, or the device not registered) or unreadable.",
}, []string{"command", "result"})

func init() {
	metrics.Registry.MustRegister(deviceQueriesTotal)
	// The two queries of every registration have their series from the start, so that
	// a rate over them is defined before the first failure.
	for _, cmd := range []string{"DeviceInfo", "Catalog"} {
		for _, result := range []string{queryAnswered, queryNoAnswer} {
			deviceQueriesTotal.WithLabelValues(cmd, result)
		}
	}
}

// countQuery counts one request of command that ended with err.
func countQuery(command string, err error) {
	deviceQueriesTotal.WithLabelValues(command, queryResultOf(err)).Inc()
}

// queryResultOf is the result label of a request that ended with err.
func queryResultOf(err error) string {
	var refused *sipd.QueryError
	var rejected *sipd.ResultError
	switch {
	case err == nil:
		return queryAnswered
	case errors.Is(err, sipd.ErrPartialCatalog):
		return queryPartial
	case errors.As(err, &refused), errors.As(err, &rejected):
		return queryRefused
	}
	switch taskStateOf(err) {
	case taskRetry:
		return queryNotSent
	case taskSilent:
		return queryNoAnswer
	}
	return queryUnreadable
}
