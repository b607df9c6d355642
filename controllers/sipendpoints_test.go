package controllers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// createSIPService creates a selector-less SIP Service, as the chart does.
func createSIPService(t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "sip-udp", Port: 5060, Protocol: corev1.ProtocolUDP},
			{Name: "sip-tcp", Port: 5060, Protocol: corev1.ProtocolTCP},
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
	wc, err := client.NewWithWatch(controllertest.RestConfig(t), client.Options{Scheme: controllertest.Scheme})
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
			if !ok || s.Name != endpoints.SliceName(service) {
				continue
			}
			state := controllertest.PodsOf(s)
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

// updateSlice applies mutate to the latest EndpointSlice key and writes it, again on a
// conflict with the leader's own writes.
func updateSlice(t *testing.T, c client.Client, key client.ObjectKey, mutate func(*discoveryv1.EndpointSlice)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var s discoveryv1.EndpointSlice
		if err := c.Get(context.Background(), key, &s); err != nil {
			return err
		}
		mutate(&s)
		return c.Update(context.Background(), &s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// portOfOp is the SIP port a serving replica listens on.
func portOfOp(t *testing.T, op *operator) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(op.addr())
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
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
			endpoints:      endpoints.Config{Service: service, Namespace: ns, PodName: pod, PodIP: podIP},
		}
	}

	a := startOperator(t, replica("pod-a", "127.0.0.1", "192.0.2.1"))
	b := startStandby(t, replica("pod-b", "127.0.0.2", "192.0.2.2"))
	controllertest.WaitSlice(t, c, ns, service, 10*time.Second, controllertest.PublishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, a)))

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
	controllertest.WaitSlice(t, c, ns, service, 5*time.Second, controllertest.PublishedAt(service, "pod-b", "192.0.2.2", portOfOp(t, b)))
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
	previous := endpoints.SliceFor(endpoints.Config{Service: service, Namespace: ns, PodName: "pod-old", PodIP: "10.0.0.9"}, 5060)
	previous.Labels["team"] = "video"
	if err := c.Create(context.Background(), previous); err != nil {
		t.Fatal(err)
	}

	op := startOperator(t, operatorConfig{
		namespaces: []string{ns},
		listen:     "127.0.0.1:0",
		endpoints:  endpoints.Config{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1", Resync: 200 * time.Millisecond},
	})
	ours := controllertest.PublishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, op))
	controllertest.WaitSlice(t, c, ns, service, 10*time.Second, func(s *discoveryv1.EndpointSlice) error {
		if s.Labels["team"] != "video" {
			return fmt.Errorf("someone else's label lost: %v", s.Labels)
		}
		return ours(s)
	})

	deleteObject(t, c, previous)
	controllertest.WaitSlice(t, c, ns, service, 5*time.Second, ours)

	updateSlice(t, c, client.ObjectKeyFromObject(previous), func(s *discoveryv1.EndpointSlice) { s.Endpoints = previous.Endpoints })
	controllertest.WaitSlice(t, c, ns, service, 5*time.Second, ours)

	// The address type cannot be updated: the slice must be replaced.
	v6 := endpoints.SliceFor(endpoints.Config{Service: service, Namespace: ns, PodName: "pod-old", PodIP: "fd00::9"}, 5060)
	testutil.Eventually(t, 5*time.Second, "an IPv6 slice replacing ours", func() error {
		deleteObject(t, c, v6)
		return c.Create(context.Background(), v6.DeepCopy())
	})
	controllertest.WaitSlice(t, c, ns, service, 5*time.Second, ours)
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
				endpoints: endpoints.Config{Service: service, Namespace: ns, PodName: "pod-a", PodIP: "192.0.2.1", Resync: time.Hour},
			})
			controllertest.WaitSlice(t, c, ns, service, 10*time.Second, controllertest.PublishedAt(service, "pod-a", "192.0.2.1", portOfOp(t, op)))
			key := client.ObjectKey{Namespace: ns, Name: endpoints.SliceName(service)}
			if tc.takenBy != "" {
				updateSlice(t, c, key, func(s *discoveryv1.EndpointSlice) {
					s.Endpoints = endpoints.SliceFor(endpoints.Config{Service: service, Namespace: ns, PodName: tc.takenBy, PodIP: "10.0.0.26"}, 5060).Endpoints
				})
			}

			op.stop(t)
			var s discoveryv1.EndpointSlice
			if err := c.Get(context.Background(), key, &s); err != nil {
				t.Fatal(err)
			}
			if got := controllertest.PodsOf(&s); got != tc.afterOut {
				t.Errorf("after the shutdown the slice routes to %q, want %q", got, tc.afterOut)
			}
		})
	}
}
