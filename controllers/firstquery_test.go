package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// statusGate holds the operator's Camera status writes while closed, and keeps the
// body of each, by Camera name.
type statusGate struct {
	next   http.RoundTripper
	mu     sync.Mutex
	open   chan struct{}
	writes map[string][]string
}

func (g *statusGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/status") && strings.Contains(req.URL.Path, "/cameras/") {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		g.mu.Lock()
		open := g.open
		name := path.Base(path.Dir(req.URL.Path)) // .../cameras/<name>/status
		g.writes[name] = append(g.writes[name], string(body))
		g.mu.Unlock()
		select {
		case <-open:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return g.next.RoundTrip(req)
}

func (g *statusGate) closeGate() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

func (g *statusGate) openGate() {
	g.mu.Lock()
	close(g.open)
	g.mu.Unlock()
}

func (g *statusGate) isOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		return true
	default:
		return false
	}
}

// writesOf is the bodies of the status writes of the Camera name so far.
func (g *statusGate) writesOf(name string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.writes[name])
}

// backlog is an operator whose only Camera worker the test can hold on one Camera's
// status write, so that another Camera's registration waits for its turn, as a storm's
// do in the workqueue.
type backlog struct {
	c    client.Client
	ns   string
	op   *operator
	gate *statusGate
}

func newBacklog(t *testing.T) *backlog {
	t.Helper()
	c := controlPlane(t)
	b := &backlog{c: c, ns: newNamespace(t, c), gate: &statusGate{open: make(chan struct{}), writes: map[string][]string{}}}
	close(b.gate.open)
	cfg := rest.CopyConfig(controllertest.RestConfig(t))
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { b.gate.next = rt; return b.gate }
	b.op = startOperator(t, operatorConfig{namespaces: []string{b.ns}, restConfig: cfg,
		opts: camera.Options{MaxConcurrentReconciles: 1}})
	return b
}

// holdOn waits for the first status (Pending) of the Cameras "held" and "queued", then
// holds the only worker on the write that follows the held device's registration
// (register). It returns how many writes of "queued" were made before, and releases
// the worker when the test ends, if release did not.
func (b *backlog) holdOn(t *testing.T, register func()) (queuedBefore int) {
	t.Helper()
	for _, name := range []string{"held", "queued"} {
		waitCamera(t, b.c, b.ns, name, 10*time.Second, func(cam *gbv1.Camera) error {
			if cam.Status.State != gbv1.StatePending {
				return fmt.Errorf("state %q, want the first status written (Pending)", cam.Status.State)
			}
			return nil
		})
	}
	heldBefore, queuedBefore := len(b.gate.writesOf("held")), len(b.gate.writesOf("queued"))
	b.gate.closeGate()
	t.Cleanup(func() {
		if !b.gate.isOpen() {
			b.gate.openGate()
		}
	})
	register()
	testutil.Eventually(t, 10*time.Second, "the held Camera's write", func() error {
		if len(b.gate.writesOf("held")) == heldBefore {
			return fmt.Errorf("no status write of the held Camera yet")
		}
		return nil
	})
	return queuedBefore
}

// release checks that "queued" was not written while the worker was held, releases it,
// and returns the first write of "queued" after its registration, which must show it
// Registered.
func (b *backlog) release(t *testing.T, queuedBefore int) gbv1.Camera {
	t.Helper()
	if n := len(b.gate.writesOf("queued")) - queuedBefore; n != 0 {
		t.Fatalf("the queued Camera was written %d times while the only worker was held", n)
	}
	b.gate.openGate()
	waitCamera(t, b.c, b.ns, "queued", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	var written gbv1.Camera
	if err := json.Unmarshal([]byte(b.gate.writesOf("queued")[queuedBefore]), &written); err != nil {
		t.Fatal(err)
	}
	if written.Status.State != gbv1.StateRegistered {
		t.Fatalf("the queued Camera's first write after its registration shows %q, want Registered", written.Status.State)
	}
	return written
}

// TestRegistrationQueriedBeforeItsTurn: a device is queried as soon as it registers,
// not when the Camera controller's workqueue reaches it, so that in a backlog (here:
// the only worker held on another Camera's status write) the device's answers are in
// the status write that shows it Registered, not in a second one.
func TestRegistrationQueriedBeforeItsTurn(t *testing.T) {
	t.Parallel()
	b := newBacklog(t)
	createSecret(t, b.c, b.ns, "sip", map[string]string{"password": "pw"})
	const held, queued = "34020000001320000961", "34020000001320000962"
	createCamera(t, b.c, b.ns, "held", held, "sip")
	createCamera(t, b.c, b.ns, "queued", queued, "sip")
	waitKnown(t, b.op, held)
	waitKnown(t, b.op, queued)
	device := func(id string) *sim.Scripted {
		d := &sim.Scripted{ID: id, Password: "pw", Server: b.op.addr(), Expires: 3600,
			Info: manscdp.DeviceInfo{DeviceName: "gate", Manufacturer: "Hikvision", Model: "DS-2CD", Firmware: "V5", Channel: 1}}
		if err := d.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		return d
	}
	first, second := device(held), device(queued)

	before := b.holdOn(t, func() {
		if code := register(t, first); code != 200 {
			t.Fatalf("REGISTER %s: %d", held, code)
		}
	})
	if code := register(t, second); code != 200 {
		t.Fatalf("REGISTER %s: %d", queued, code)
	}
	// DeviceStatus is asked once DeviceInfo and Catalog are answered and recorded.
	testutil.Eventually(t, 10*time.Second, "the queued device queried", func() error {
		for _, cmd := range []string{"DeviceInfo", "Catalog", "DeviceStatus"} {
			if second.QueryCount(cmd) == 0 {
				return fmt.Errorf("the device registered and waits for its reconcile, but was not asked %s", cmd)
			}
		}
		return nil
	})

	written := b.release(t, before)
	if info := written.Status.DeviceInfo; info == nil || info.Manufacturer != "Hikvision" {
		t.Errorf("the write that shows the queued Camera Registered holds deviceInfo %+v, want the device's answer", info)
	}
}

// TestRegistrationSubscribedBeforeItsTurn: a Camera's declared subscriptions are made as
// soon as its device registers, not when the Camera controller's workqueue reaches it:
// in a backlog (the only worker held on another Camera's status write) the device holds
// the subscription before its Camera is written, and the write that shows the Camera
// Registered shows the subscription Active, not a second one.
func TestRegistrationSubscribedBeforeItsTurn(t *testing.T) {
	t.Parallel()
	b := newBacklog(t)
	const held, queued = "34020000001320000963", "34020000001320000964"
	first := deviceCamera(t, b.c, b.op, b.ns, "held", held, sim.Config{})
	second := deviceCamera(t, b.c, b.op, b.ns, "queued", queued, sim.Config{}, func(cam *gbv1.Camera) {
		cam.Spec.Subscriptions.Catalog = &gbv1.SubscriptionSpec{}
	})

	before := b.holdOn(t, func() {
		if _, err := first.Register(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := second.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the queued device subscribed", func() error {
		if subs := second.Subscriptions(); len(subs) != 1 || subs[0].Kind != "Catalog" {
			return fmt.Errorf("the device registered and waits for its reconcile, and holds subscriptions %+v, want the catalog's", subs)
		}
		return nil
	})

	written := b.release(t, before)
	if subs := written.Status.Subscriptions; len(subs) != 1 || subs[0].State != gbv1.SubscriptionActive {
		t.Errorf("the write that shows the queued Camera Registered holds subscriptions %+v, want the catalog's Active", subs)
	}
}
