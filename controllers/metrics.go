package controllers

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

// sipEndpointLeader is 1 while this pod is published as the SIP Service's endpoint (see
// endpointPublisher).
var sipEndpointLeader = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "camera_operator_sip_endpoint_leader",
	Help: "1 while this pod's address is the published endpoint of the SIP Service (--sip-service), else 0.",
})

func init() {
	metrics.Registry.MustRegister(eventsDropped, sipEndpointLeader)
}
