package controllers

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// TestRestartKeepsRegistrations: the operator stops and a new one starts on the same
// port; it seeds its registrar from Camera status, so the device's next keepalive gets
// 200 and the device never registers again.
func TestRestartKeepsRegistrations(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	first := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns})

	const id = "34020000001320000061"
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "dock", id, "sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: 2 * time.Second}
		cam.Spec.Keepalive.TimeoutCount = 3
		cam.Spec.Catalog.Disabled = true
	})
	waitKnown(t, first, id)
	dev := newDevice(t, first, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	before := waitCamera(t, c, ns, "dock", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	if code := keepalive(t, dev); code != 200 {
		t.Fatalf("keepalive: %d", code)
	}
	// Events are sent asynchronously; let the first replica's reach the API before it stops.
	waitEvents(t, c, ns, "dock", "Registered")

	addr := first.addr()
	first.stop(t)
	second := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, listen: addr})
	if second.addr() != addr {
		t.Fatalf("restarted on %s, want %s", second.addr(), addr)
	}
	if code := keepalive(t, dev); code != 200 {
		t.Fatalf("keepalive after restart: %d, want 200 (the registration was not kept)", code)
	}
	stop := keepSendingKeepalives(t, dev, 500*time.Millisecond)
	// Give the new replica time to reconcile and, if it were wrong, to report otherwise.
	time.Sleep(2 * time.Second)
	after := waitCamera(t, c, ns, "dock", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	if !after.Status.Registration.RegisteredAt.Equal(&before.Status.Registration.RegisteredAt) {
		t.Errorf("registeredAt changed across the restart: %v -> %v", before.Status.Registration.RegisteredAt, after.Status.Registration.RegisteredAt)
	}
	if got, err := eventReasons(c, ns, "dock"); err != nil || got["Registered"] != 1 || got["Offline"] != 0 {
		t.Errorf("events across the restart: %v %v; want one Registered and no Offline", got, err)
	}

	// The new replica watches liveness too.
	stop()
	waitCamera(t, c, ns, "dock", 15*time.Second, inState(gbv1.StateOffline, gbv1.ConditionReady, gbv1.ReasonKeepaliveTimeout))
}

// TestFailover: a standby replica serves nothing until it leads, then takes over from
// status: the device's keepalives, sent to the new leader, are answered 200.
func TestFailover(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	leader := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns})
	standby := startStandby(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns})

	const id = "34020000001320000071"
	createSecret(t, c, ns, "sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, "pier", id, "sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: 2 * time.Second}
		cam.Spec.Catalog.Disabled = true
	})
	waitKnown(t, leader, id)
	dev := newDevice(t, leader, id, "pw")
	if code := register(t, dev); code != 200 {
		t.Fatalf("REGISTER: %d", code)
	}
	waitCamera(t, c, ns, "pier", 10*time.Second, inState(gbv1.StateRegistered, "", ""))

	select {
	case <-standby.srv.Ready():
		t.Fatal("the standby serves SIP while another replica leads")
	default:
	}
	select {
	case <-standby.store.Ready():
		t.Fatal("the standby's store serves while another replica leads")
	default:
	}

	leader.stop(t)
	select {
	case <-standby.store.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("the standby did not take over")
	}
	<-standby.srv.Ready()
	// A Service would now send the device's traffic to the new leader.
	dev.Server = standby.addr()
	testutil.Eventually(t, 5*time.Second, "keepalive answered by the new leader", func() error {
		if code := keepalive(t, dev); code != 200 {
			return fmt.Errorf("keepalive: %d", code)
		}
		return nil
	})
	waitCamera(t, c, ns, "pier", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
}
