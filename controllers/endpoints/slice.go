package endpoints

import (
	"net"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The EndpointSlice the leader publishes for the SIP Service is named <service>-leader
// and holds at most one endpoint: the leader's Pod IP, ready and serving, with the SIP
// port over UDP and TCP. The labels make it the Service's (kube-proxy selects slices by
// kubernetes.io/service-name) and tell the endpoint controllers it is not theirs. The
// functions here are pure: what the slice should be, and whether a slice read from the
// API server needs a write to become it.

// managedBy is the endpointslice.kubernetes.io/managed-by value of the slice the leader
// publishes.
const managedBy = "camera-operator.gb28181.io"

// SIP port names of the slice, as the SIP Service names its ports.
const (
	sipUDPPortName = "sip-udp"
	sipTCPPortName = "sip-tcp"
)

// SliceName is the name of the slice the leader publishes for service.
func SliceName(service string) string { return service + "-leader" }

// addressTypeOf is the slice address type of ip.
func addressTypeOf(ip net.IP) discoveryv1.AddressType {
	if ip.To4() != nil {
		return discoveryv1.AddressTypeIPv4
	}
	return discoveryv1.AddressTypeIPv6
}

// SliceFor is the slice that routes the Service's SIP traffic to this pod, serving
// on port.
func SliceFor(ep Config, port int32) *discoveryv1.EndpointSlice {
	endpoint := discoveryv1.Endpoint{
		Addresses:  []string{ep.PodIP},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ep.Namespace, Name: ep.PodName},
	}
	if ep.NodeName != "" {
		endpoint.NodeName = ptr.To(ep.NodeName)
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ep.Namespace,
			Name:      SliceName(ep.Service),
			Labels: map[string]string{
				discoveryv1.LabelServiceName: ep.Service,
				discoveryv1.LabelManagedBy:   managedBy,
			},
		},
		AddressType: addressTypeOf(net.ParseIP(ep.PodIP)),
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To(sipUDPPortName), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To(port)},
			{Name: ptr.To(sipTCPPortName), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(port)},
		},
		Endpoints: []discoveryv1.Endpoint{endpoint},
	}
}

// sliceNeedsWrite reports whether cur differs from want in anything the leader owns:
// its two labels, ports and endpoints. Other labels and annotations are left alone.
func sliceNeedsWrite(cur, want *discoveryv1.EndpointSlice) bool {
	for k, v := range want.Labels {
		if cur.Labels[k] != v {
			return true
		}
	}
	return cur.AddressType != want.AddressType ||
		!equality.Semantic.DeepEqual(cur.Ports, want.Ports) ||
		!equality.Semantic.DeepEqual(cur.Endpoints, want.Endpoints)
}

// applySlice makes cur want in what the leader owns, keeping cur's identity and
// resourceVersion for an optimistic update. The address type is immutable: a slice of
// the other type must be deleted and created instead (see sliceNeedsWrite's caller).
func applySlice(cur, want *discoveryv1.EndpointSlice) {
	if cur.Labels == nil {
		cur.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		cur.Labels[k] = v
	}
	cur.Ports = want.Ports
	cur.Endpoints = want.Endpoints
}

// pointsAt reports whether the slice routes to the pod: only then may the pod withdraw
// it. The pod is told by its name, not its address: with hostNetwork a standby on the
// same node has the same IP.
func pointsAt(s *discoveryv1.EndpointSlice, namespace, podName string) bool {
	for _, e := range s.Endpoints {
		if r := e.TargetRef; r != nil && r.Kind == "Pod" && r.Namespace == namespace && r.Name == podName {
			return true
		}
	}
	return false
}
