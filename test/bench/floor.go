package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/devices"
)

// The floor is what the API server alone needs to show a fleet Registered: a minimal
// client writes, with the Camera controller's concurrency, the status the operator
// wrote for each Camera of a burst to a twin Camera, each once, and nothing else. The
// operator's catch-up is compared with it in the same run, on the same API server, so
// that the machine's load weighs on both alike.

const (
	// floorNS holds the twins: out of the tracker's namespace, labelled for a shard no
	// operator serves, so that only the floor client writes their status.
	floorNS    = "bench-floor"
	floorShard = "bench-floor"
	// listPage bounds the Cameras a list returns at once.
	listPage = 2000
)

// floorRun is one size's floor, beside the operator's catch-up of the same burst.
type floorRun struct {
	Cameras int `json:"cameras"`
	Writers int `json:"writers"`
	// Seconds is from the first write until the last one was acknowledged.
	Seconds float64 `json:"seconds"`
	// APICPUPerWriteMs is the API server's CPU over the writes, per write.
	APICPUPerWriteMs float64 `json:"apiserver_cpu_ms_per_write"`
	// StatusBytes is the mean JSON size of the status written.
	StatusBytes float64 `json:"status_bytes"`
	LoadAverage float64 `json:"load_average"`
	// ClockStepSeconds is how far the wall clock moved from the monotonic clock over
	// the writes, when the machine stalled (clockstep.go); 0 when it did not.
	ClockStepSeconds float64 `json:"clock_step_seconds,omitempty"`
}

// operatorWriters is the Camera controller's concurrency, which the floor client uses.
var operatorWriters = camera.Options{}.WithDefaults().MaxConcurrentReconciles

// floor writes the status the operator wrote for the first n Cameras of the fleet to
// their twins, with operatorWriters writers, timed.
func (b *bench) floor(ctx context.Context, n int) (floorRun, error) {
	run := floorRun{Cameras: n, Writers: operatorWriters}
	written, err := b.listCameras(ctx, benchNS)
	if err != nil {
		return run, err
	}
	twins, err := b.listCameras(ctx, floorNS)
	if err != nil {
		return run, err
	}
	todo := make([]*gbv1.Camera, 0, n)
	var bytes int
	for _, name := range b.names[:n] {
		src, twin := written[name], twins[name]
		if src == nil || twin == nil {
			return run, fmt.Errorf("floor: Camera %s or its twin is missing", name)
		}
		twin.Status = src.Status
		bytes += statusSize(&twin.Status)
		todo = append(todo, twin)
	}
	run.StatusBytes = float64(bytes) / float64(n)
	cpu0, err := b.apiserverCPU(ctx)
	if err != nil {
		return run, err
	}
	slog.Info("floor: writing the operator's statuses to the twins", "cameras", n, "writers", run.Writers)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, run.Writers)
	for range run.Writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				if err := b.kube.Status().Update(ctx, todo[i], client.FieldOwner(devices.DefaultControllerName)); err != nil {
					errs <- fmt.Errorf("floor: status of %s: %w", todo[i].Name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	run.Seconds, run.ClockStepSeconds = time.Since(start).Seconds(), clockStepSince(start)
	close(errs)
	if err := errors.Join(drain(errs)...); err != nil {
		return run, err
	}
	cpu1, err := b.apiserverCPU(ctx)
	if err != nil {
		return run, err
	}
	run.APICPUPerWriteMs = (cpu1 - cpu0) * 1e3 / float64(n)
	run.LoadAverage = loadAverage()
	slog.Info("floor written", "cameras", n, "seconds", run.Seconds, "apiCPUmsPerWrite", run.APICPUPerWriteMs)
	return run, nil
}

// listCameras lists the Cameras of ns by name, a page at a time.
func (b *bench) listCameras(ctx context.Context, ns string) (map[string]*gbv1.Camera, error) {
	out := map[string]*gbv1.Camera{}
	opts := []client.ListOption{client.InNamespace(ns), client.Limit(listPage)}
	for cont := ""; ; {
		var list gbv1.CameraList
		if err := b.kube.List(ctx, &list, append(opts, client.Continue(cont))...); err != nil {
			return nil, fmt.Errorf("listing the Cameras of %s: %w", ns, err)
		}
		for i := range list.Items {
			out[list.Items[i].Name] = &list.Items[i]
		}
		if cont = list.Continue; cont == "" {
			return out, nil
		}
	}
}

// apiserverCPU is the API server's process_cpu_seconds_total.
func (b *bench) apiserverCPU(ctx context.Context) (float64, error) {
	ss, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return 0, err
	}
	return ss.processCPU(), nil
}

// drain is what errs holds (it must be closed).
func drain(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// statusSize is the JSON size of st.
func statusSize(st *gbv1.CameraStatus) int {
	b, err := json.Marshal(st)
	if err != nil {
		return 0
	}
	return len(b)
}

// sampleBacklog samples the Camera controller's workqueue depth every half second
// until ctx ends, then sends the largest seen.
func (b *bench) sampleBacklog(ctx context.Context) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		var most float64
		defer func() { out <- most }()
		url := "http://" + b.op.metricsAddr + "/metrics"
		for {
			if ss, err := scrape(ctx, http.DefaultClient, url); err == nil {
				most = max(most, backlog(ss))
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return out
}

// printFloor prints, per size, the time to Registered beside the floor's.
func (r *results) printFloor(w io.Writer) {
	if len(r.APICatchUp) == 0 {
		return
	}
	fmt.Fprintf(w, "placement: %s\n", r.Settings.Placement)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TO REGISTERED\tCATCH-UP\tFROM BURST\tHALF\tFLOOR\tSPEED/FLOOR\tWRITES/CAM\tAPI CPU MS/WRITE OP|FLOOR\tSTATUS B\tMAX QUEUE\tRSS\tHEAP\tLOAD")
	for _, c := range r.APICatchUp {
		fl := floorRun{}
		if c.Floor != nil {
			fl = *c.Floor
		}
		ratio, whole := c.floorRatio()
		fmt.Fprintf(tw, "%d cameras\t%.1fs\t%.1fs\t%.1fs\t%.1fs\t%.2f (%.2f from burst)\t%.2f\t%.2f|%.2f\t%.0f\t%.0f\t%s\t%s\t%.1f\n",
			c.Cameras, c.Seconds, c.FromBurstSeconds, c.HalfSeconds, fl.Seconds, ratio, whole, c.CameraWrites/float64(c.Cameras),
			c.APICPUPerWriteMs, fl.APICPUPerWriteMs, fl.StatusBytes, c.MaxBacklog, mib(c.Memory.RSSBytes), mib(c.Memory.HeapInuseBytes), c.LoadAverage)
	}
	tw.Flush()
	for _, c := range r.APICatchUp {
		if d := c.disturbance(); d != "" {
			fmt.Fprintln(w, d)
		}
	}
	fmt.Fprintln(w)
}
