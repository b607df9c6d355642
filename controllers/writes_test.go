package controllers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/internal/controllertest"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// writeCounter counts the operator's API requests that write Cameras, Leases or Events.
type writeCounter struct {
	next          http.RoundTripper
	cameraWrites  atomic.Int64
	leaseWrites   atomic.Int64
	eventWrites   atomic.Int64
	otherRequests atomic.Int64
}

func (w *writeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.Method == http.MethodGet:
	case strings.Contains(req.URL.Path, "/cameras/"):
		w.cameraWrites.Add(1)
	case strings.Contains(req.URL.Path, "/leases"):
		w.leaseWrites.Add(1)
	case strings.Contains(req.URL.Path, "/events"):
		w.eventWrites.Add(1)
	default:
		w.otherRequests.Add(1)
	}
	return w.next.RoundTrip(req)
}

// TestAPIWritesBounded: 100 devices send keepalives twice a second while nothing else
// changes; with the status interval scaled down to 2s, the operator may record each
// Camera's liveness at most once per interval, and the registrar may signal a device
// (which costs a reconcile) only as often. Writing or reconciling every keepalive would
// cost 4x more. By default the records are renewals of each Camera's Lease, and the
// status is written at most once in 12 intervals; with --liveness-leases=false they are
// status writes.
func TestAPIWritesBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		livenessInStatus bool
		firstID          int
	}{
		{"lease", false, 100},
		{"status", true, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testAPIWritesBounded(t, tc.livenessInStatus, tc.firstID)
		})
	}
}

func testAPIWritesBounded(t *testing.T, livenessInStatus bool, firstID int) {
	const (
		devices        = 100
		statusInterval = 2 * time.Second
		keepaliveEvery = 500 * time.Millisecond
		window         = 10 * time.Second
	)
	c := controlPlane(t)
	ns := newNamespace(t, c)
	counter := &writeCounter{}
	cfg := rest.CopyConfig(controllertest.RestConfig(t))
	cfg.QPS, cfg.Burst = 1000, 1000
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { counter.next = rt; return counter }
	op := startOperator(t, operatorConfig{namespaces: []string{ns}, restConfig: cfg,
		opts: camera.Options{KeepaliveStatusInterval: statusInterval, LivenessInStatus: livenessInStatus}})

	createSecret(t, c, ns, "fleet-sip", map[string]string{"password": "fleet"})
	devs := make([]*sim.Scripted, devices)
	for i := range devs {
		id := fmt.Sprintf("340200000013200%05d", firstID+i)
		createCamera(t, c, ns, fmt.Sprintf("cam-%03d", i), id, "fleet-sip", func(cam *gbv1.Camera) {
			cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Second}
			cam.Spec.Keepalive.TimeoutCount = 5
			cam.Spec.Catalog.Disabled = true
		})
		devs[i] = newDevice(t, op, id, "fleet")
		waitKnown(t, op, id)
	}
	for _, d := range devs {
		if code := register(t, d); code != 200 {
			t.Fatalf("%s: REGISTER %d", d, code)
		}
	}

	// Keepalives for the whole fleet.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent, refused atomic.Int64
	for _, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(keepaliveEvery)
			defer tick.Stop()
			for {
				kctx, kcancel := context.WithTimeout(ctx, 5*time.Second)
				res, err := d.Keepalive(kctx)
				kcancel()
				if err == nil {
					sent.Add(1)
					if res.StatusCode != 200 {
						refused.Add(1)
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })

	// Settle: every Camera Registered, and the first keepalive writes done.
	testutil.Eventually(t, 30*time.Second, "fleet registered", func() error {
		var list gbv1.CameraList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		n := 0
		for _, cam := range list.Items {
			if cam.Status.State == gbv1.StateRegistered {
				n++
			}
		}
		if n != devices {
			return fmt.Errorf("%d of %d Registered", n, devices)
		}
		return nil
	})
	time.Sleep(statusInterval)

	liveness := recordedKeepalive
	if !livenessInStatus {
		liveness = leaseRenewal
	}
	startKA := snapshotLiveness(t, c, ns, liveness)
	startWrites, startLeases, startEvents, startSent := counter.cameraWrites.Load(), counter.leaseWrites.Load(), counter.eventWrites.Load(), sent.Load()
	startNotified := op.notified.Load()
	time.Sleep(window)
	notified := op.notified.Load() - startNotified
	writes := counter.cameraWrites.Load() - startWrites
	leaseWrites := counter.leaseWrites.Load() - startLeases
	events := counter.eventWrites.Load() - startEvents
	keepalives := sent.Load() - startSent
	endKA := snapshotLiveness(t, c, ns, liveness)

	bound := int64(devices) * (int64(window/statusInterval) + 1)
	t.Logf("%d keepalives in %v cost %d Camera writes, %d Lease writes and %d Event writes (bound %d, %.2f records per camera per status interval)",
		keepalives, window, writes, leaseWrites, events, bound, float64(writes+leaseWrites)/float64(devices)/(float64(window)/float64(statusInterval)))
	if refused.Load() > 0 {
		t.Errorf("%d keepalives refused", refused.Load())
	}
	if keepalives < int64(devices)*int64(window/keepaliveEvery)/2 {
		t.Fatalf("only %d keepalives sent: the load did not happen", keepalives)
	}
	if writes+leaseWrites > bound {
		t.Errorf("%d Camera and Lease writes in %v for %d cameras, more than one per camera per %v (%d)", writes+leaseWrites, window, devices, statusInterval, bound)
	}
	if statusBound := int64(devices) * (int64(window/(12*statusInterval)) + 1); !livenessInStatus && writes > statusBound {
		t.Errorf("%d Camera writes in %v for %d cameras while Leases record liveness, more than one per camera per %v (%d)",
			writes, window, devices, 12*statusInterval, statusBound)
	}
	if livenessInStatus && leaseWrites > 0 {
		t.Errorf("%d Lease writes with liveness in the status", leaseWrites)
	}
	if events > 0 {
		t.Errorf("%d Event writes while nothing changed", events)
	}
	t.Logf("%d keepalives signalled %d device changes", keepalives, notified)
	if notified > bound {
		t.Errorf("%d keepalives signalled %d device changes (each a reconcile), more than one per camera per %v (%d)", keepalives, notified, statusInterval, bound)
	}
	// Throttled is not frozen: every Camera's recorded liveness moved during the window.
	for name, before := range startKA {
		if after := endKA[name]; !after.After(before) {
			t.Errorf("%s: recorded liveness did not advance (%v -> %v)", name, before, after)
		}
	}
	var list gbv1.CameraList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, cam := range list.Items {
		if cam.Status.State != gbv1.StateRegistered {
			t.Errorf("%s is %s", cam.Name, cam.Status.State)
		}
	}
}

// snapshotLiveness maps each Camera of ns to its liveness as recorded by of.
func snapshotLiveness(t *testing.T, c client.Client, ns string, of func(*testing.T, client.Client, *gbv1.Camera) time.Time) map[string]time.Time {
	t.Helper()
	var list gbv1.CameraList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]time.Time, len(list.Items))
	for i := range list.Items {
		out[list.Items[i].Name] = of(t, c, &list.Items[i])
	}
	return out
}

// recordedKeepalive is the Camera's status.lastKeepaliveTime.
func recordedKeepalive(_ *testing.T, _ client.Client, cam *gbv1.Camera) time.Time {
	if cam.Status.LastKeepaliveTime == nil {
		return time.Time{}
	}
	return cam.Status.LastKeepaliveTime.Time
}

// leaseRenewal is the renewTime of the Camera's liveness Lease (zero when there is none
// yet), checking that the Lease is the Camera's and says what a Lease says of the device.
func leaseRenewal(t *testing.T, c client.Client, cam *gbv1.Camera) time.Time {
	t.Helper()
	var lease coordinationv1.Lease
	err := c.Get(context.Background(), client.ObjectKeyFromObject(cam), &lease)
	switch {
	case apierrors.IsNotFound(err):
		return time.Time{} // not renewed yet
	case err != nil:
		t.Fatal(err)
	}
	if !metav1.IsControlledBy(&lease, cam) {
		t.Errorf("%s: Lease not controlled by its Camera: %+v", cam.Name, lease.OwnerReferences)
	}
	s := lease.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity != cam.Spec.DeviceID || s.LeaseDurationSeconds == nil ||
		*s.LeaseDurationSeconds != 5 || s.AcquireTime == nil || s.RenewTime == nil || s.RenewTime.Before(s.AcquireTime) {
		t.Errorf("%s: Lease spec %+v: want holder %s, 5 s (1 s keepalives × 5), renewed since acquired", cam.Name, s, cam.Spec.DeviceID)
		return time.Time{}
	}
	return s.RenewTime.Time
}
