package endpoints

import (
	"strings"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/gb28181/camera-operator/internal/controllertest"
)

func TestSliceFor(t *testing.T) {
	ep := Config{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	s := SliceFor(ep, 5060)
	if s.Name != "sip-leader" || s.Namespace != "ops" {
		t.Errorf("slice %s/%s, want ops/sip-leader", s.Namespace, s.Name)
	}
	if s.Labels[discoveryv1.LabelServiceName] != "sip" || s.Labels[discoveryv1.LabelManagedBy] != managedBy {
		t.Errorf("labels %v", s.Labels)
	}
	if s.AddressType != discoveryv1.AddressTypeIPv4 {
		t.Errorf("address type %s, want IPv4", s.AddressType)
	}
	if err := controllertest.CheckPorts(s, 5060); err != nil {
		t.Error(err)
	}
	if len(s.Endpoints) != 1 || s.Endpoints[0].NodeName != nil {
		t.Errorf("endpoints %+v: want one, without a node name", s.Endpoints)
	}

	ep.PodIP, ep.NodeName = "fd00::3", "node-1"
	s = SliceFor(ep, 5060)
	if s.AddressType != discoveryv1.AddressTypeIPv6 {
		t.Errorf("address type %s, want IPv6", s.AddressType)
	}
	if n := s.Endpoints[0].NodeName; n == nil || *n != "node-1" {
		t.Errorf("node name %v, want node-1", n)
	}
}

func TestSliceNeedsWrite(t *testing.T) {
	ep := Config{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	want := SliceFor(ep, 5060)
	tests := []struct {
		name   string
		mutate func(*discoveryv1.EndpointSlice)
		write  bool
	}{
		{"as wanted", func(*discoveryv1.EndpointSlice) {}, false},
		{"someone else's label kept", func(s *discoveryv1.EndpointSlice) { s.Labels["team"] = "video" }, false},
		{"the previous leader's", func(s *discoveryv1.EndpointSlice) {
			*s = *SliceFor(Config{Service: "sip", Namespace: "ops", PodName: "pod-b", PodIP: "10.1.2.4"}, 5060)
		}, true},
		{"withdrawn", func(s *discoveryv1.EndpointSlice) { s.Endpoints = []discoveryv1.Endpoint{} }, true},
		{"not ready", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Conditions.Ready = ptr.To(false) }, true},
		{"other port", func(s *discoveryv1.EndpointSlice) { s.Ports[0].Port = ptr.To[int32](5061) }, true},
		{"not managed by us", func(s *discoveryv1.EndpointSlice) { delete(s.Labels, discoveryv1.LabelManagedBy) }, true},
		{"other address type", func(s *discoveryv1.EndpointSlice) { s.AddressType = discoveryv1.AddressTypeIPv6 }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := want.DeepCopy()
			tc.mutate(cur)
			if got := sliceNeedsWrite(cur, want); got != tc.write {
				t.Fatalf("sliceNeedsWrite = %v, want %v", got, tc.write)
			}
			if tc.write && cur.AddressType == want.AddressType {
				applySlice(cur, want)
				if sliceNeedsWrite(cur, want) {
					t.Error("still needs a write after applySlice")
				}
			}
		})
	}
}

// TestPointsAtTellsPodsByName: a standby on the same node with hostNetwork has the
// leader's IP; only the pod's name says the slice is its own.
func TestPointsAtTellsPodsByName(t *testing.T) {
	s := SliceFor(Config{Service: "sip", Namespace: "ops", PodName: "pod-b", PodIP: "10.1.2.3"}, 5060)
	if pointsAt(s, "ops", "pod-a") {
		t.Error("pod-a withdraws pod-b's slice at the same IP")
	}
	if !pointsAt(s, "ops", "pod-b") {
		t.Error("pod-b does not recognise its own slice")
	}
	s.Endpoints = nil
	if pointsAt(s, "ops", "pod-b") {
		t.Error("an empty slice points at pod-b")
	}
}

func TestConfigValidate(t *testing.T) {
	full := Config{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("disabled: %v", err)
	}
	if err := full.Validate(); err != nil {
		t.Errorf("complete: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no namespace", func(e *Config) { e.Namespace = "" }, "--pod-namespace"},
		{"no name", func(e *Config) { e.PodName = "" }, "--pod-name"},
		{"no IP", func(e *Config) { e.PodIP = "" }, "--pod-ip"},
		{"bad IP", func(e *Config) { e.PodIP = "pod-a.local" }, "not an IP address"},
		{"loopback IP", func(e *Config) { e.PodIP = "127.0.0.1" }, "cannot be an endpoint"},
	} {
		e := full
		tc.mutate(&e)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
