package controllers

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/gb28181/camera-operator/internal/testutil"
)

func TestDesiredSlice(t *testing.T) {
	ep := SIPEndpoints{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	s := desiredSlice(ep, 5060)
	if s.Name != "sip-leader" || s.Namespace != "ops" {
		t.Errorf("slice %s/%s, want ops/sip-leader", s.Namespace, s.Name)
	}
	if s.Labels[discoveryv1.LabelServiceName] != "sip" || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy {
		t.Errorf("labels %v", s.Labels)
	}
	if s.AddressType != discoveryv1.AddressTypeIPv4 {
		t.Errorf("address type %s, want IPv4", s.AddressType)
	}
	if err := checkPorts(s, 5060); err != nil {
		t.Error(err)
	}
	if len(s.Endpoints) != 1 || s.Endpoints[0].NodeName != nil {
		t.Errorf("endpoints %+v: want one, without a node name", s.Endpoints)
	}

	ep.PodIP, ep.NodeName = "fd00::3", "node-1"
	s = desiredSlice(ep, 5060)
	if s.AddressType != discoveryv1.AddressTypeIPv6 {
		t.Errorf("address type %s, want IPv6", s.AddressType)
	}
	if n := s.Endpoints[0].NodeName; n == nil || *n != "node-1" {
		t.Errorf("node name %v, want node-1", n)
	}
}

func TestSliceNeedsWrite(t *testing.T) {
	ep := SIPEndpoints{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	want := desiredSlice(ep, 5060)
	tests := []struct {
		name   string
		mutate func(*discoveryv1.EndpointSlice)
		write  bool
	}{
		{"as wanted", func(*discoveryv1.EndpointSlice) {}, false},
		{"someone else's label kept", func(s *discoveryv1.EndpointSlice) { s.Labels["team"] = "video" }, false},
		{"the previous leader's", func(s *discoveryv1.EndpointSlice) {
			*s = *desiredSlice(SIPEndpoints{Service: "sip", Namespace: "ops", PodName: "pod-b", PodIP: "10.1.2.4"}, 5060)
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
	s := desiredSlice(SIPEndpoints{Service: "sip", Namespace: "ops", PodName: "pod-b", PodIP: "10.1.2.3"}, 5060)
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

func TestSIPEndpointsValidate(t *testing.T) {
	full := SIPEndpoints{Service: "sip", Namespace: "ops", PodName: "pod-a", PodIP: "10.1.2.3"}
	if err := (SIPEndpoints{}).Validate(); err != nil {
		t.Errorf("disabled: %v", err)
	}
	if err := full.Validate(); err != nil {
		t.Errorf("complete: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*SIPEndpoints)
		want   string
	}{
		{"no namespace", func(e *SIPEndpoints) { e.Namespace = "" }, "--pod-namespace"},
		{"no name", func(e *SIPEndpoints) { e.PodName = "" }, "--pod-name"},
		{"no IP", func(e *SIPEndpoints) { e.PodIP = "" }, "--pod-ip"},
		{"bad IP", func(e *SIPEndpoints) { e.PodIP = "pod-a.local" }, "not an IP address"},
		{"loopback IP", func(e *SIPEndpoints) { e.PodIP = "127.0.0.1" }, "cannot be an endpoint"},
	} {
		e := full
		tc.mutate(&e)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// checkPorts checks the slice carries the SIP port over UDP and TCP, by name.
func checkPorts(s *discoveryv1.EndpointSlice, port int32) error {
	want := map[string]corev1.Protocol{sipUDPPortName: corev1.ProtocolUDP, sipTCPPortName: corev1.ProtocolTCP}
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

// publishedAt checks the slice routes the Service to exactly the pod at ip:port, ready.
func publishedAt(service, pod, ip string, port int32) func(*discoveryv1.EndpointSlice) error {
	return func(s *discoveryv1.EndpointSlice) error {
		if s.Labels[discoveryv1.LabelServiceName] != service || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy {
			return fmt.Errorf("labels %v", s.Labels)
		}
		if want := addressTypeOf(net.ParseIP(ip)); s.AddressType != want {
			return fmt.Errorf("address type %s, want %s", s.AddressType, want)
		}
		if err := checkPorts(s, port); err != nil {
			return err
		}
		if len(s.Endpoints) != 1 {
			return fmt.Errorf("%d endpoints (%v), want %s only", len(s.Endpoints), podsOf(s), pod)
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

// podsOf names the pods a slice routes to, "" for none.
func podsOf(s *discoveryv1.EndpointSlice) string {
	var pods []string
	for _, e := range s.Endpoints {
		if e.TargetRef != nil {
			pods = append(pods, e.TargetRef.Name)
		}
	}
	return strings.Join(pods, ",")
}

// waitSlice waits until the Service's leader slice satisfies check.
func waitSlice(t *testing.T, c client.Client, ns, service string, timeout time.Duration, check func(*discoveryv1.EndpointSlice) error) {
	t.Helper()
	testutil.Eventually(t, timeout, "EndpointSlice "+ns+"/"+sliceName(service), func() error {
		var s discoveryv1.EndpointSlice
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: sliceName(service)}, &s); err != nil {
			return err
		}
		return check(&s)
	})
}

// createSIPService creates a selector-less SIP Service, as the chart does.
func createSIPService(t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: sipUDPPortName, Port: 5060, Protocol: corev1.ProtocolUDP},
			{Name: sipTCPPortName, Port: 5060, Protocol: corev1.ProtocolTCP},
		}},
	}
	if err := c.Create(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
}

// sliceHistory records, from a watch, whom the Service's slice routed to after each
// change: pod names, "" when empty, "deleted".
type sliceHistory struct {
	mu     sync.Mutex
	states []string
}

func watchSlice(t *testing.T, ns, service string) *sliceHistory {
	t.Helper()
	wc, err := client.NewWithWatch(envCfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wc.Watch(ctx, &discoveryv1.EndpointSliceList{}, client.InNamespace(ns))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h := &sliceHistory{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			s, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok || s.Name != sliceName(service) {
				continue
			}
			state := podsOf(s)
			if ev.Type == watch.Deleted {
				state = "deleted"
			}
			h.mu.Lock()
			if n := len(h.states); n == 0 || h.states[n-1] != state {
				h.states = append(h.states, state)
			}
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); cancel(); <-done })
	return h
}

func (h *sliceHistory) get() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.states...)
}

// portOfOp is the SIP port a serving replica listens on.
func portOfOp(t *testing.T, op *operator) int32 {
	t.Helper()
	port, err := portOf(op.addr())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestSIPEndpointFollowsLeader runs two replicas with leader election, as a Deployment
// of two would: both are ready, one leads and is the SIP Service's only endpoint; when
// it shuts down it withdraws itself before it stops serving, and the slice moves to the
// other replica once that one serves.
func TestSIPEndpointFollowsLeader(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	const service = "sip"
	createSIPService(t, c, ns, service)
	history := watchSlice(t, ns, service)
	// The registrars listen on loopback addresses; the API server refuses those in a
	// slice, so the pods' IPs are from the documentation range.
	replica := func(pod, listenIP, podIP string) operatorConfig {
		return operatorConfig{
			namespaces:     []string{ns},
			leaseNamespace: ns,
			listen:         listenIP + ":0",
			endpoints:      SIPEndpoints{Service: service, Namespace: ns, PodName: pod, PodIP: podIP},
		}
	}

	a := startOperator(t, replica("pod-a", "127.0.0.1", "192.0.2.1"))
	b := startStandby(t, replica("pod-b", "127.0.0.2", "192.0.2.2"))
	waitSlice(t, c, ns, service, 10*time.Second, publishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, a)))

	// Readiness is health, not leadership: the standby is ready too.
	for name, op := range map[string]*operator{"pod-a": a, "pod-b": b} {
		testutil.Eventually(t, 10*time.Second, name+" ready", func() error { return op.ready(nil) })
	}
	select {
	case <-b.srv.Ready():
		t.Fatal("pod-b serves SIP while pod-a leads")
	default:
	}

	stopped := time.Now()
	a.stop(t)
	// pod-b takes over once pod-a released the lease: well within one lease duration.
	select {
	case <-b.srv.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("pod-b did not take over")
	}
	waitSlice(t, c, ns, service, 5*time.Second, publishedAt(service, "pod-b", "192.0.2.2", portOfOp(t, b)))
	t.Logf("the slice moved to pod-b %v after pod-a was told to stop", time.Since(stopped).Round(time.Millisecond))

	// In between, pod-a had withdrawn itself: the Service had no endpoint rather than a
	// stopped one.
	testutil.Eventually(t, 5*time.Second, "slice history", func() error {
		states := history.get()
		i := indexOf(states, "pod-b")
		if i < 2 || states[i-1] != "" || states[i-2] != "pod-a" {
			return fmt.Errorf("the slice routed to %q in turn, want pod-a, then nothing, then pod-b", states)
		}
		return nil
	})
}

func indexOf(states []string, s string) int {
	for i, v := range states {
		if v == s {
			return i
		}
	}
	return -1
}

// TestSIPEndpointOverwritesAndRestores: the slice a previous leader left is taken over,
// and the leader restores its slice when it is deleted, changed, or recreated with the
// other address type by someone else.
func TestSIPEndpointOverwritesAndRestores(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	const service = "sip"
	createSIPService(t, c, ns, service)
	previous := desiredSlice(SIPEndpoints{Service: service, Namespace: ns, PodName: "pod-old", PodIP: "10.0.0.9"}, 5060)
	previous.Labels["team"] = "video"
	if err := c.Create(context.Background(), previous); err != nil {
		t.Fatal(err)
	}

	op := startOperator(t, operatorConfig{
		namespaces: []string{ns},
		listen:     "127.0.0.1:0",
		endpoints:  SIPEndpoints{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1", Resync: 200 * time.Millisecond},
	})
	ours := publishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, op))
	waitSlice(t, c, ns, service, 10*time.Second, func(s *discoveryv1.EndpointSlice) error {
		if s.Labels["team"] != "video" {
			return fmt.Errorf("someone else's label lost: %v", s.Labels)
		}
		return ours(s)
	})

	deleteObject(t, c, previous)
	waitSlice(t, c, ns, service, 5*time.Second, ours)

	var s discoveryv1.EndpointSlice
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(previous), &s); err != nil {
		t.Fatal(err)
	}
	s.Endpoints = previous.Endpoints
	if err := c.Update(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	waitSlice(t, c, ns, service, 5*time.Second, ours)

	// The address type cannot be updated: the slice must be replaced.
	v6 := desiredSlice(SIPEndpoints{Service: service, Namespace: ns, PodName: "pod-old", PodIP: "fd00::9"}, 5060)
	testutil.Eventually(t, 5*time.Second, "an IPv6 slice replacing ours", func() error {
		deleteObject(t, c, v6)
		return c.Create(context.Background(), v6.DeepCopy())
	})
	waitSlice(t, c, ns, service, 5*time.Second, ours)
}

// TestSIPEndpointWithdrawal: a leader shutting down empties the slice that points at
// it, and leaves alone one that points at another pod by then.
func TestSIPEndpointWithdrawal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		takenBy  string // pod the slice is handed to before the shutdown, "" for none
		afterOut string // pods the slice routes to after it
	}{
		{"still ours", "", ""},
		{"another pod's", "pod-z", "pod-z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := controlPlane(t)
			ns := newNamespace(t, c)
			const service = "sip"
			op := startOperator(t, operatorConfig{
				namespaces: []string{ns},
				listen:     "127.0.0.1:0",
				// No re-assertion during the test: only the shutdown writes.
				endpoints: SIPEndpoints{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1", Resync: time.Hour},
			})
			waitSlice(t, c, ns, service, 10*time.Second, publishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, op)))
			key := client.ObjectKey{Namespace: ns, Name: sliceName(service)}
			if tc.takenBy != "" {
				var s discoveryv1.EndpointSlice
				if err := c.Get(context.Background(), key, &s); err != nil {
					t.Fatal(err)
				}
				s.Endpoints = desiredSlice(SIPEndpoints{Service: service, Namespace: ns, PodName: tc.takenBy, PodIP: "10.0.0.26"}, 5060).Endpoints
				if err := c.Update(context.Background(), &s); err != nil {
					t.Fatal(err)
				}
			}

			op.stop(t)
			var s discoveryv1.EndpointSlice
			if err := c.Get(context.Background(), key, &s); err != nil {
				t.Fatal(err)
			}
			if got := podsOf(&s); got != tc.afterOut {
				t.Errorf("after the shutdown the slice routes to %q, want %q", got, tc.afterOut)
			}
		})
	}
}

// stopWatcher is a registrar that serves at once on a fixed port and, when told to
// stop, reports whom the SIP Service's slice routed to at that moment.
type stopWatcher struct {
	ready     chan struct{}
	sliceSeen func() string
	seen      chan string
}

func (w *stopWatcher) Start(ctx context.Context) error {
	close(w.ready)
	<-ctx.Done()
	w.seen <- w.sliceSeen()
	return nil
}
func (w *stopWatcher) Ready() <-chan struct{} { return w.ready }
func (w *stopWatcher) UDPAddr() string        { return "127.0.0.1:5060" }

// TestSIPEndpointWithdrawnBeforeRegistrarStops: by the time the registrar is told to
// stop, the slice no longer routes to it, so no device is sent to a closed port.
func TestSIPEndpointWithdrawnBeforeRegistrarStops(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	const service = "sip"
	mgr, err := ctrl.NewManager(envCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &stopWatcher{ready: make(chan struct{}), seen: make(chan string, 1), sliceSeen: func() string {
		var s discoveryv1.EndpointSlice
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: sliceName(service)}, &s); err != nil {
			return err.Error()
		}
		return podsOf(&s)
	}}
	ep := SIPEndpoints{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1"}
	if err := AddRegistrar(mgr, srv, ep); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	waitSlice(t, c, ns, service, 10*time.Second, publishedAt(service, "pod-a", "192.0.2.1", 5060))

	cancel()
	select {
	case seen := <-srv.seen:
		if seen != "" {
			t.Errorf("when the registrar was told to stop the slice routed to %q, want nothing", seen)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the registrar was not stopped")
	}
	if err := <-done; err != nil {
		t.Errorf("manager: %v", err)
	}
}
