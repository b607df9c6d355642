package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Why a burst costs more than one status write per Camera: the operator counts its
// Camera status writes by the part of the status each changed
// (camera_operator_camera_status_writes_total) and by result
// (camera_operator_status_writes_total). The burst reads both before and after.

// writeCounts is what the operator's counters of Camera status writes read at a moment.
type writeCounts struct {
	// Causes: status writes by cause (state, registration, device, catalog, events,
	// conditions, liveness, other).
	Causes map[string]float64 `json:"causes"`
	// Conflicts: writes the API server refused because the Camera had changed.
	Conflicts float64 `json:"conflicts"`
}

// operatorWrites reads the operator's write counters.
func (b *bench) operatorWrites(ctx context.Context) (writeCounts, error) {
	ss, err := b.op.scrape(ctx)
	if err != nil {
		return writeCounts{}, err
	}
	w := writeCounts{Causes: ss.byLabel("camera_operator_camera_status_writes_total", "cause", nil)}
	w.Conflicts = ss.sum("camera_operator_status_writes_total", func(l map[string]string) bool {
		return l["kind"] == "Camera" && l["result"] == "conflict"
	})
	return w, nil
}

// since is what the counters grew by from before.
func (w writeCounts) since(before writeCounts) writeCounts {
	return writeCounts{Causes: grown(w.Causes, before.Causes), Conflicts: w.Conflicts - before.Conflicts}
}

// String lists the causes, most writes first, and the conflicts.
func (w writeCounts) String() string {
	var parts []string
	for _, c := range mostFirst(w.Causes) {
		parts = append(parts, fmt.Sprintf("%s %.0f", c, w.Causes[c]))
	}
	parts = append(parts, fmt.Sprintf("conflicts %.0f", w.Conflicts))
	return strings.Join(parts, ", ")
}

// printWriteCauses prints, per burst, the operator's Camera status writes by cause:
// until the fleet showed Registered, and until the operator had nothing left to write.
func (r *results) printWriteCauses(w io.Writer) {
	for _, c := range r.APICatchUp {
		if c.Writes != nil {
			fmt.Fprintf(w, "status writes of the %d-camera burst until all showed Registered, by cause: %s\n", c.Cameras, c.Writes)
		}
		if s := c.Settled; s != nil {
			unsettled := ""
			if s.TimedOut {
				unsettled = ", NOT SETTLED then"
			}
			fmt.Fprintf(w, "  until settled (%.1fs after the burst began%s): %.2f Camera writes per camera; by cause: %s\n",
				s.Seconds, unsettled, s.CameraWrites/float64(c.Cameras), s.Writes)
		}
	}
}

// settled is what a burst cost until the operator had nothing left of it to write.
type settled struct {
	// Seconds is from the burst's start until the operator had written nothing but
	// liveness for settleQuiet. Liveness (the keepalive time, written once per status
	// interval) goes on for ever, and at the bench's scaled intervals keeps the
	// workqueue from emptying: it is the steady state's cost, which the steady-state
	// window measures.
	Seconds float64 `json:"seconds"`
	// CameraWrites are the write requests on Cameras the API server counted meanwhile.
	CameraWrites float64     `json:"camera_write_requests"`
	Writes       writeCounts `json:"operator_status_writes"`
	// TimedOut: the operator still wrote more than liveness when the bench stopped
	// waiting; the figures are those until then.
	TimedOut bool `json:"timed_out,omitempty"`
}

// settleQuiet is how long the operator must write nothing but liveness for a burst to
// count as settled.
const settleQuiet = 5 * time.Second

// settle waits until the operator has nothing left of the burst begun at start to
// write, at most timeout, and returns what the burst cost from writes0 and camWrites0
// (the operator's counters and the API server's Camera writes at its start) until then.
func (b *bench) settle(ctx context.Context, start time.Time, writes0 writeCounts, camWrites0 float64, timeout time.Duration) (*settled, error) {
	url := "http://" + b.op.metricsAddr + "/metrics"
	deadline := time.Now().Add(timeout)
	last := -1.0
	var stillSince time.Time
	for {
		ss, err := scrape(ctx, http.DefaultClient, url)
		if err != nil {
			return nil, err
		}
		total := ss.sum("camera_operator_camera_status_writes_total", func(l map[string]string) bool { return l["cause"] != "liveness" })
		now := time.Now()
		switch {
		case total != last:
			last, stillSince = total, now
		case now.Sub(stillSince) >= settleQuiet, now.After(deadline):
			w, err := b.operatorWrites(ctx)
			if err != nil {
				return nil, err
			}
			api, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
			if err != nil {
				return nil, err
			}
			cams, _ := cameraWrites(api)
			s := &settled{Seconds: stillSince.Sub(start).Seconds(), CameraWrites: cams - camWrites0, Writes: w.since(writes0),
				TimedOut: now.After(deadline)}
			if s.TimedOut {
				slog.Warn("the burst did not settle: the floor shares the API server with the operator's writes", "after", timeout)
			}
			slog.Info("burst settled", "seconds", s.Seconds, "cameraWrites", s.CameraWrites, "byCause", s.Writes.String())
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
