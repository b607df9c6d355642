package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The subscriptions and alarms phase, on the largest fleet (docs/events.md):
//
//  1. Every Camera declares a catalog subscription, its lifetime 1 h scaled down with
//     the rest of time. A camsim fleet whose every device flaps its channel (OFF, then
//     ON) once an hour, scaled, registers; once every Camera shows Subscribed, the API
//     writes of one scaled hour (Cameras and Events) are counted: the cost of keeping
//     the subscriptions (refreshes, NOTIFYs) and of showing the flaps in status.channels,
//     per camera and five minutes of unscaled time.
//  2. A fleet whose every device alarms every --events-alarm-interval registers; over a
//     window the operator's alarm counter gives the alarms handled per second, while the
//     Events budget (--events-per-second) is spent: Events recorded, Events dropped, the
//     device events the registrar dropped, and the status writes of lastAlarm.
//
// Both are figures, not assertions: the run records them, and judge compares the
// writes with the goal.

// eventsResult holds the figures of the phase.
type eventsResult struct {
	Cameras int `json:"cameras"`
	// SubscribedSeconds runs from the fleet's last 200 OK until every Camera showed
	// Subscribed=True.
	SubscribedSeconds float64 `json:"subscribed_seconds"`
	// FlapPeriod is the scaled time between a channel's OFF and its ON (two per scaled
	// hour); Expires the scaled subscription lifetime.
	FlapPeriod string `json:"flap_period"`
	Expires    string `json:"subscription_expires"`
	// WindowSeconds is the scaled hour the writes were counted over; BacklogStart and
	// BacklogEnd the devices waiting for a status write at its start and end (a backlog
	// that grew means the writes counted fell short of what the flaps asked for).
	WindowSeconds float64 `json:"window_seconds"`
	BacklogStart  float64 `json:"backlog_start"`
	BacklogEnd    float64 `json:"backlog_end"`
	// FlapShownSeconds is how long the API took from the first Camera showing a flap to
	// the last: every device flaps at the same moment (they were made together), so it
	// is the time to write ten thousand changes at once (-1: not all within the window).
	FlapShownSeconds float64 `json:"flap_shown_seconds"`
	CameraWrites     float64 `json:"camera_write_requests"`
	EventWrites      float64 `json:"event_write_requests"`
	Notifies         float64 `json:"notifies_accepted"`
	PerCameraPer5Min float64 `json:"writes_per_camera_per_5min"`
	OperatorCPU      float64 `json:"operator_cpu_cores"`

	Alarms *alarmLoadResult `json:"alarms,omitempty"`
}

// alarmLoadResult is the alarm load's figures, per second of the window.
type alarmLoadResult struct {
	Devices         int     `json:"devices"`
	IntervalSeconds float64 `json:"alarm_interval_seconds"`
	WindowSeconds   float64 `json:"window_seconds"`
	Offered         float64 `json:"alarms_offered_per_second"`
	Handled         float64 `json:"alarms_handled_per_second"`
	EventWrites     float64 `json:"event_writes_per_second"`
	// EventsDropped are the Events over the budget of all Cameras; AlarmEventsDropped
	// those over a Camera's own; DeviceEventsDropped what the registrar's queue dropped.
	EventsDropped       float64 `json:"events_dropped_per_second"`
	AlarmEventsDropped  float64 `json:"alarm_events_dropped_per_second"`
	DeviceEventsDropped float64 `json:"device_events_dropped_per_second"`
	// Shed are the requests the registrar answered 503 or dropped as over capacity;
	// BacklogEnd the devices waiting for a status write at the end.
	Shed         float64 `json:"requests_shed_per_second"`
	BacklogEnd   float64 `json:"backlog_end"`
	CameraWrites float64 `json:"camera_writes_per_second"`
	OperatorCPU  float64 `json:"operator_cpu_cores"`
}

// events runs the phase with the first n Cameras, none of whose devices is registered.
func (b *bench) events(ctx context.Context, n int) error {
	r := &eventsResult{Cameras: n}
	b.r.Events = r
	scale := b.r.Settings.Scale
	expires := max(time.Duration(float64(time.Hour)/scale).Round(time.Second), time.Minute)
	flap := time.Duration(float64(30*time.Minute) / scale).Round(time.Second)
	r.Expires, r.FlapPeriod = expires.String(), flap.String()
	if err := b.subscribeCatalogs(ctx, n, expires); err != nil {
		return err
	}

	f, err := b.startFleet("subscribed", n, 0, "--catalog-flap", flap.String())
	if err != nil {
		return err
	}
	err = b.flapWrites(ctx, f, n, r, 2*flap)
	if ferr := b.finish(ctx, f, n, nil); ferr != nil || err != nil {
		return errors.Join(err, ferr)
	}

	g, err := b.startFleet("alarming", n, 0, "--alarm-interval", b.o.alarmInterval.String(), "--alarm-without-guard")
	if err != nil {
		return err
	}
	err = b.alarmLoad(ctx, g, n, r)
	return errors.Join(err, b.finish(ctx, g, n, nil))
}

// subscribeCatalogs makes the first n Cameras declare a catalog subscription lasting
// expires, 32 patches at a time.
func (b *bench) subscribeCatalogs(ctx context.Context, n int, expires time.Duration) error {
	slog.Info("events: declaring catalog subscriptions", "cameras", n, "expires", expires)
	patch := client.RawPatch(types.MergePatchType, []byte(fmt.Sprintf(`{"spec":{"subscriptions":{"catalog":{"expires":%q}}}}`, expires)))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				cam := &gbv1.Camera{ObjectMeta: metav1.ObjectMeta{Namespace: benchNS, Name: b.names[i]}}
				if err := b.kube.Patch(ctx, cam, patch); err != nil {
					errs <- fmt.Errorf("declaring the subscription of %s: %w", b.names[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// flapWrites waits until every Camera of fleet f shows Subscribed, then counts the API
// writes over window (one scaled hour: each device flaps once).
func (b *bench) flapWrites(ctx context.Context, f *fleet, n int, r *eventsResult, window time.Duration) error {
	last200, _, err := f.waitAllRegistered(ctx, 5*time.Minute)
	if err != nil {
		return err
	}
	shown, err := b.tr.waitFor(ctx, "Subscribed", b.names[:n], 5*time.Minute, func(v camView) bool { return v.subscribed == metav1.ConditionTrue })
	if err != nil {
		return err
	}
	r.SubscribedSeconds = max(0, shown.Sub(last200).Seconds())
	slog.Info("events: every Camera subscribed", "seconds", r.SubscribedSeconds)
	// The registrations' and subscriptions' own writes settle first.
	sleepCtx(ctx, b.o.statusInterval+b.deviceKA)
	api0, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return err
	}
	op0, err := b.op.scrape(ctx)
	if err != nil {
		return err
	}
	cpu0, _ := b.op.cpuSeconds()
	start := time.Now()
	slog.Info("events: counting API writes with a channel flap per camera per hour", "for", window)
	spread := make(chan float64, 1)
	go func() { spread <- b.flapShown(ctx, b.names[:n], window) }()
	sleepCtx(ctx, window)
	if err := ctx.Err(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	r.FlapShownSeconds = <-spread
	api1, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return err
	}
	op1, err := b.op.scrape(ctx)
	if err != nil {
		return err
	}
	cpu1, _ := b.op.cpuSeconds()
	cam0, ev0 := cameraWrites(api0)
	cam1, ev1 := cameraWrites(api1)
	accepted := func(l map[string]string) bool { return l["result"] == "accepted" }
	r.WindowSeconds, r.CameraWrites, r.EventWrites = elapsed.Seconds(), cam1-cam0, ev1-ev0
	r.Notifies = op1.sum("sipd_subscription_notifies_total", accepted) - op0.sum("sipd_subscription_notifies_total", accepted)
	r.BacklogStart, r.BacklogEnd = backlog(op0), backlog(op1)
	r.OperatorCPU = (cpu1 - cpu0) / elapsed.Seconds()
	unscaled := elapsed.Seconds() * b.r.Settings.Scale
	r.PerCameraPer5Min = (r.CameraWrites + r.EventWrites) / float64(n) / (unscaled / 300)
	return nil
}

// backlog is the Camera controller's workqueue depth: devices waiting for a reconcile.
func backlog(ss samples) float64 {
	return ss.sum("workqueue_depth", func(l map[string]string) bool { return l["name"] == "camera-operator" })
}

// flapShown waits, within window, for the first of cams to show its first channel's
// status change, then for all of them, and returns the seconds between (-1 when not
// all changed within the window).
func (b *bench) flapShown(ctx context.Context, cams []string, window time.Duration) float64 {
	b.tr.mu.Lock()
	before := make(map[string]string, len(cams))
	for _, n := range cams {
		before[n] = b.tr.cams[n].channel0
	}
	b.tr.mu.Unlock()
	changed := func(v camView, name string) bool { return v.channel0 != before[name] }
	deadline := time.Now().Add(window)
	var first time.Time
	for time.Now().Before(deadline) && ctx.Err() == nil {
		b.tr.mu.Lock()
		all, firstAt := true, time.Time{}
		for _, n := range cams {
			v := b.tr.cams[n]
			if !changed(v.camView, n) {
				all = false
				continue
			}
			if firstAt.IsZero() || v.at.Before(firstAt) {
				firstAt = v.at
			}
		}
		b.tr.mu.Unlock()
		if first.IsZero() && !firstAt.IsZero() {
			first = firstAt
		}
		if all {
			var last time.Time
			b.tr.mu.Lock()
			for _, n := range cams {
				if at := b.tr.cams[n].at; at.After(last) {
					last = at
				}
			}
			b.tr.mu.Unlock()
			return last.Sub(first).Seconds()
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
	return -1
}

// alarmLoad measures the alarms of fleet g, every device alarming at the configured
// interval, over a window once every device is registered.
func (b *bench) alarmLoad(ctx context.Context, g *fleet, n int, r *eventsResult) error {
	if _, _, err := g.waitAllRegistered(ctx, 5*time.Minute); err != nil {
		return err
	}
	sleepCtx(ctx, 10*time.Second) // past the registrations' writes and the first burst of Events
	a := &alarmLoadResult{Devices: n, IntervalSeconds: b.o.alarmInterval.Seconds(), Offered: float64(n) / b.o.alarmInterval.Seconds()}
	r.Alarms = a
	window := b.o.alarmWindow
	api0, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return err
	}
	op0, err := b.op.scrape(ctx)
	if err != nil {
		return err
	}
	cpu0, _ := b.op.cpuSeconds()
	start := time.Now()
	slog.Info("events: alarm load", "devices", n, "offered per second", a.Offered, "for", window)
	sleepCtx(ctx, window)
	if err := ctx.Err(); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	api1, err := scrape(ctx, b.apiHTTP, b.apiHost+"/metrics")
	if err != nil {
		return err
	}
	op1, err := b.op.scrape(ctx)
	if err != nil {
		return err
	}
	cpu1, _ := b.op.cpuSeconds()
	rate := func(name string) float64 { return (op1.sum(name, nil) - op0.sum(name, nil)) / secs }
	cam0, ev0 := cameraWrites(api0)
	cam1, ev1 := cameraWrites(api1)
	a.WindowSeconds = secs
	a.Handled = rate("camera_operator_alarms_total")
	a.EventsDropped = rate("camera_operator_events_dropped_total")
	a.AlarmEventsDropped = rate("camera_operator_alarm_events_dropped_total")
	a.DeviceEventsDropped = rate("sipd_device_events_dropped_total")
	a.Shed = rate("sipd_requests_shed_total")
	a.BacklogEnd = backlog(op1)
	a.EventWrites, a.CameraWrites = (ev1-ev0)/secs, (cam1-cam0)/secs
	a.OperatorCPU = (cpu1 - cpu0) / secs
	return b.op.alive()
}

// print writes the phase's figures.
func (r *eventsResult) print(w io.Writer, scale float64) {
	fmt.Fprintf(w, "subscriptions: %d cameras subscribed %.1fs after the last 200; one channel flap per camera per hour (OFF, ON every %s, subscriptions of %s, time scaled ×%.0f): %.0f Camera writes, %.0f Event writes, %.0f NOTIFYs in %.0fs → %.2f writes/camera/5 min; backlog %.0f → %.0f; all %d flaps of a moment shown in %.1fs; operator %.2f cores\n",
		r.Cameras, r.SubscribedSeconds, r.FlapPeriod, r.Expires, scale, r.CameraWrites, r.EventWrites, r.Notifies, r.WindowSeconds, r.PerCameraPer5Min,
		r.BacklogStart, r.BacklogEnd, r.Cameras, r.FlapShownSeconds, r.OperatorCPU)
	if a := r.Alarms; a != nil {
		fmt.Fprintf(w, "alarms: %d devices every %.0fs (%.0f/s offered): %.0f/s handled; Events %.1f/s written, %.0f/s over the budget of all Cameras, %.0f/s over a Camera's own; %.0f/s device events dropped, %.0f/s requests shed; %.1f Camera writes/s, backlog %.0f; operator %.2f cores\n",
			a.Devices, a.IntervalSeconds, a.Offered, a.Handled, a.EventWrites, a.EventsDropped, a.AlarmEventsDropped, a.DeviceEventsDropped, a.Shed, a.CameraWrites, a.BacklogEnd, a.OperatorCPU)
	}
}

// judgeEvents adds the phase's target.
func (r *eventsResult) judge(add func(name, want, measured string, met bool, note string), scale float64) {
	add("API writes per camera per 5 min, subscribed, one channel flap per camera per hour", "≤ 1.5",
		fmt.Sprintf("%.2f", r.PerCameraPer5Min), r.PerCameraPer5Min <= 1.5, fmt.Sprintf("%d cameras, time scaled ×%.0f", r.Cameras, scale))
	if a := r.Alarms; a != nil {
		add("alarms/s handled, Event budget spent", "figure", fmt.Sprintf("%.0f of %.0f offered", a.Handled, a.Offered), true,
			fmt.Sprintf("%.1f Events/s written, %.0f/s dropped", a.EventWrites, a.EventsDropped+a.AlarmEventsDropped))
	}
}
