package controllertest

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gb28181/camera-operator/internal/testutil"
)

// The EndpointSlice the leader publishes for the SIP Service, as the tests check it:
// named <service>-leader, managed by camera-operator.gb28181.io, the SIP port over UDP and
// TCP named as the chart names them.

// CheckPorts checks the slice carries the SIP port over UDP and TCP, by name.
func CheckPorts(s *discoveryv1.EndpointSlice, port int32) error {
	want := map[string]corev1.Protocol{"sip-udp": corev1.ProtocolUDP, "sip-tcp": corev1.ProtocolTCP}
	if len(s.Ports) != len(want) {
		return fmt.Errorf("ports %+v, want %v on %d", s.Ports, want, port)
	}
	for _, p := range s.Ports {
		if p.Name == nil || p.Protocol == nil || p.Port == nil || want[*p.Name] != *p.Protocol || *p.Port != port {
			return fmt.Errorf("ports %+v, want %v on %d", s.Ports, want, port)
		}
	}
	return nil
}

// addressType is the slice address type of ip.
func addressType(ip string) discoveryv1.AddressType {
	if net.ParseIP(ip).To4() != nil {
		return discoveryv1.AddressTypeIPv4
	}
	return discoveryv1.AddressTypeIPv6
}

// PublishedAt checks the slice routes the Service to exactly the pod at ip:port, ready.
func PublishedAt(service, pod, ip string, port int32) func(*discoveryv1.EndpointSlice) error {
	return func(s *discoveryv1.EndpointSlice) error {
		if s.Labels[discoveryv1.LabelServiceName] != service || s.Labels[discoveryv1.LabelManagedBy] != "camera-operator.gb28181.io" {
			return fmt.Errorf("labels %v", s.Labels)
		}
		if want := addressType(ip); s.AddressType != want {
			return fmt.Errorf("address type %s, want %s", s.AddressType, want)
		}
		if err := CheckPorts(s, port); err != nil {
			return err
		}
		if len(s.Endpoints) != 1 {
			return fmt.Errorf("%d endpoints (%v), want %s only", len(s.Endpoints), PodsOf(s), pod)
		}
		e := s.Endpoints[0]
		if !reflect.DeepEqual(e.Addresses, []string{ip}) {
			return fmt.Errorf("addresses %v, want %s", e.Addresses, ip)
		}
		if r := e.TargetRef; r == nil || r.Kind != "Pod" || r.Name != pod || r.Namespace != s.Namespace {
			return fmt.Errorf("targetRef %+v, want Pod %s/%s", r, s.Namespace, pod)
		}
		if c := e.Conditions; !ptr.Deref(c.Ready, false) || !ptr.Deref(c.Serving, false) || ptr.Deref(c.Terminating, false) {
			return fmt.Errorf("conditions %+v, want ready and serving", c)
		}
		return nil
	}
}

// PodsOf names the pods a slice routes to, "" for none.
func PodsOf(s *discoveryv1.EndpointSlice) string {
	var pods []string
	for _, e := range s.Endpoints {
		if e.TargetRef != nil {
			pods = append(pods, e.TargetRef.Name)
		}
	}
	return strings.Join(pods, ",")
}

// WaitSlice waits until the Service's leader slice satisfies check.
func WaitSlice(t *testing.T, c client.Client, ns, service string, timeout time.Duration, check func(*discoveryv1.EndpointSlice) error) {
	t.Helper()
	testutil.Eventually(t, timeout, "EndpointSlice "+ns+"/"+service+"-leader", func() error {
		var s discoveryv1.EndpointSlice
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: service + "-leader"}, &s); err != nil {
			return err
		}
		return check(&s)
	})
}
