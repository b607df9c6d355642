package endpoints

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// sipEndpointLeader is 1 while this pod is published as the SIP Service's endpoint (see
// endpointPublisher).
var sipEndpointLeader = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "camera_operator_sip_endpoint_leader",
	Help: "1 while this pod's address is the published endpoint of the SIP Service (--sip-service), else 0.",
})

func init() {
	metrics.Registry.MustRegister(sipEndpointLeader)
}
