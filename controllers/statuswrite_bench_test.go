package controllers

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// BenchmarkStatusWrite compares what a Camera status write costs the API server (its
// CPU per write, from its own process_cpu_seconds_total, and writes/s with 16 writers) as
// a JSON merge patch and as an update of the status subresource; the update of the
// same status to a copy of the CRD whose status is tracked field by field, as it was
// before it became atomic; the update of smaller shapes of the status, and of an NVR's
// larger catalog; the writes of a Camera whose channels are in an object of their own
// (statuswrite_split_test.go); and the renewal of the Camera's liveness Lease that replaces
// liveness-only status writes; alternating in one run. The second round profiles the
// API server and reports where its CPU per write goes (apiserverprofile_test.go); with
// STATUSWRITE_PPROF set to a directory it keeps the profiles there. It is why
// writeStatus updates:
//
//	go test ./controllers -run '^$' -bench StatusWrite -benchtime 2000x
func BenchmarkStatusWrite(b *testing.B) {
	c := controlPlane(b)
	ns := newNamespace(b, c)
	ctx := context.Background()
	cams := createBenchCameras(ctx, b, c, ns, 500)
	hc, err := rest.HTTPClientFor(controllertest.RestConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	granular, twins := granularCameras(b, cams)
	leases := createBenchLeases(ctx, b, c, cams)
	catalogs := newSplitCatalogs(b, cams)
	var round atomic.Int64
	update := func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
		cam.Status = st
		return c.Status().Update(ctx, cam)
	}
	writeStatusOnly := func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
		body := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: cam.Namespace,
			ResourceVersion: cam.ResourceVersion}, Status: st}
		if err := c.Status().Update(ctx, body); err != nil {
			return err
		}
		cam.ResourceVersion = body.ResourceVersion
		return nil
	}
	// The ways of writing, and the shapes written: today's whole status (RegisteredStatus),
	// the status of a registration before the device's queries are answered, and the
	// least a Registered Camera can show, which bounds what trimming the shape can save;
	// and an empty status, which bounds what any shape can save.
	write := map[string]func(cam *gbv1.Camera, st gbv1.CameraStatus) error{
		"merge-patch": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			orig := cam.DeepCopy()
			cam.Status = st
			return c.Status().Patch(ctx, cam, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
		},
		"update": update,
		// The same status, to the copy of the CRD whose status is not atomic.
		"update-granular-status": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return writeGranular(ctx, granular, twins[cam.Name], st)
		},
		// The operator's write for an NVR of 64 channels: what a larger catalog costs
		// each of its Camera's state writes.
		"update-status-only-body-nvr-64": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			st.DeviceType, st.Channels = "NVR", nvrChannels(cam, st.Channels[0], 64)
			st.ChannelCount = int32(len(st.Channels))
			return writeStatusOnly(cam, st)
		},
		// The channels in an object of their own (statuswrite_split_test.go): the
		// Camera's state write without them, a new catalog of an IPC and of an NVR, and
		// a channel going on or off in either.
		"split-state": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			st.Channels = nil
			return writeStatusOnly(cam, st)
		},
		"split-catalog-create-1": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return catalogs.create(ctx, cam, st.Channels, *st.CatalogUpdatedAt)
		},
		"split-catalog-create-nvr-64": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return catalogs.create(ctx, cam, nvrChannels(cam, st.Channels[0], 64), *st.CatalogUpdatedAt)
		},
		"split-catalog-channel-nvr-64": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return catalogs.updateChannelStatus(ctx, catalogs.nvr[cam.Name], st.CatalogUpdatedAt.Unix(), *st.CatalogUpdatedAt)
		},
		// The same change in a catalog of one channel: an IPC's, or a channel in an
		// object of its own.
		"split-catalog-channel-1": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return catalogs.updateChannelStatus(ctx, catalogs.one[cam.Name], st.CatalogUpdatedAt.Unix(), *st.CatalogUpdatedAt)
		},
		"update-registration-only": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			st.DeviceInfo, st.Channels, st.ChannelCount, st.CatalogUpdatedAt = nil, nil, 0, nil
			return update(cam, st)
		},
		// The same status, sent without the spec, labels and the rest of the metadata,
		// which the API server takes from the stored object on a status write anyway.
		"update-status-only-body": writeStatusOnly,
		// What records a registered Camera's liveness between status writes: an update
		// of its Lease, as the Camera controller sends it (lease.go); and the merge
		// patch it does not send.
		"lease-renew": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			lease := leases[cam.Name] // each writer has Cameras of its own
			lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: &cam.Spec.DeviceID, LeaseDurationSeconds: ptr.To(int32(180)),
				AcquireTime: ptr.To(metav1.NewMicroTime(st.Registration.RegisteredAt.Time)), RenewTime: ptr.To(metav1.NewMicroTime(st.LastKeepaliveTime.Time))}
			return c.Update(ctx, lease)
		},
		"lease-merge-patch": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			patch := fmt.Sprintf(`{"spec":{"holderIdentity":%q,"leaseDurationSeconds":180,"acquireTime":%q,"renewTime":%q}}`,
				cam.Spec.DeviceID, st.Registration.RegisteredAt.Format(metav1.RFC3339Micro), st.LastKeepaliveTime.Format(metav1.RFC3339Micro))
			// The answer brings the resourceVersion the next lease-renew needs.
			return c.Patch(ctx, leases[cam.Name], client.RawPatch(types.MergePatchType, []byte(patch)))
		},
		// A status with nothing in it, sent alone: what any status write of a Camera
		// costs the API server whatever its status holds, the floor under every shape.
		"update-status-only-body-empty": func(cam *gbv1.Camera, _ gbv1.CameraStatus) error {
			return writeStatusOnly(cam, gbv1.CameraStatus{})
		},
		"update-minimal": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			return update(cam, gbv1.CameraStatus{State: st.State, LastKeepaliveTime: st.LastKeepaliveTime,
				Conditions: []metav1.Condition{{Type: gbv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Registered",
					LastTransitionTime: *st.LastKeepaliveTime}}})
		},
	}
	ways := []string{"merge-patch", "update-granular-status", "update", "update-status-only-body", "update-status-only-body-nvr-64", "split-state", "split-catalog-create-1",
		"split-catalog-create-nvr-64", "split-catalog-channel-nvr-64", "split-catalog-channel-1", "update-registration-only", "update-minimal", "update-status-only-body-empty", "lease-renew", "lease-merge-patch"}
	profiles := os.Getenv("STATUSWRITE_PPROF")
	// Two rounds alternating the ways, so that the machine's load weighs on each alike;
	// the second round profiles the API server.
	host := controllertest.RestConfig(b).Host
	for i, name := range append(ways, ways...) {
		b.Run(name, func(b *testing.B) {
			var report func(float64)
			if i >= len(ways) && b.N > 1 {
				report = profileWrites(b, hc, host, profiles, name)
			}
			perWrite := measureWrites(b, hc, host, cams, func(cam *gbv1.Camera) error {
				return write[name](cam, controllertest.RegisteredStatus(cam, round.Add(1)))
			})
			if report != nil {
				report(perWrite)
			}
		})
	}
}

// measureWrites makes b.N writes with 16 writers, each with Cameras of its own so that
// a write never races another on one, and reports the writes per second and the API
// server's CPU per write, which it returns.
func measureWrites(b *testing.B, hc *http.Client, host string, cams []*gbv1.Camera, write func(*gbv1.Camera) error) (cpuPerWriteMs float64) {
	const writers = 16
	cpu0 := apiserverCPU(b, hc, host)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := 0; ; k++ {
				if next.Add(1) > int64(b.N) {
					return
				}
				if err := write(cams[w+writers*(k%(len(cams)/writers))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
	cpuPerWriteMs = (apiserverCPU(b, hc, host) - cpu0) * 1e3 / float64(b.N)
	b.ReportMetric(cpuPerWriteMs, "apiserver-cpu-ms/write")
	return cpuPerWriteMs
}

// apiserverCPU reads the process_cpu_seconds_total of the API server at host.
func apiserverCPU(b *testing.B, hc *http.Client, host string) float64 {
	resp, err := hc.Get(strings.TrimSuffix(host, "/") + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("no process_cpu_seconds_total in the API server's metrics (%s)", resp.Status)
	return 0
}

// createBenchLeases creates the liveness Lease of each of cams, owned by it, and returns
// them by Camera name.
func createBenchLeases(ctx context.Context, b *testing.B, c client.Client, cams []*gbv1.Camera) map[string]*coordinationv1.Lease {
	leases := make(map[string]*coordinationv1.Lease, len(cams))
	for _, cam := range cams {
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: cam.Name, Namespace: cam.Namespace,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: gbv1.GroupVersion.String(), Kind: "Camera", Name: cam.Name, UID: cam.UID}}}}
		if err := c.Create(ctx, lease); err != nil {
			b.Fatal(err)
		}
		leases[cam.Name] = lease
	}
	return leases
}

// createBenchCameras creates n Cameras in ns for the status write benchmarks to write to.
func createBenchCameras(ctx context.Context, b *testing.B, c client.Client, ns string, n int) []*gbv1.Camera {
	cams := make([]*gbv1.Camera, n)
	for i := range cams {
		cam := &gbv1.Camera{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cam-%04d", i), Namespace: ns},
			Spec: gbv1.CameraSpec{DeviceID: fmt.Sprintf("340200000013200%05d", i),
				CredentialsSecretRef: gbv1.SecretKeySelector{Name: "s", Key: "password"}},
		}
		if err := c.Create(ctx, cam); err != nil {
			b.Fatal(err)
		}
		cams[i] = cam
	}
	return cams
}

// nvrChannels is the catalog of an NVR of cam with n channels like ch, each with an ID of
// its own (type 131, a camera, after cam's centre and industry codes) and its NVR as
// parent.
func nvrChannels(cam *gbv1.Camera, ch gbv1.Channel, n int) []gbv1.Channel {
	chans := make([]gbv1.Channel, n)
	for i := range chans {
		chans[i] = ch
		chans[i].ID = fmt.Sprintf("%s131%07d", cam.Spec.DeviceID[:10], i+1)
		chans[i].Name = fmt.Sprintf("%s %d", ch.Name, i+1)
		chans[i].ParentID = cam.Spec.DeviceID
	}
	return chans
}
