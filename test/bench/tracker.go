package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// camView is what the bench follows of one Camera.
type camView struct {
	state      gbv1.CameraState
	remoteAddr string
	// subscribed is the Subscribed condition's status ("" without one); channel0 the
	// status of its first channel.
	subscribed metav1.ConditionStatus
	channel0   string
}

// shown is a Camera's view and when the API started showing it (the arrival of the
// watch event that changed it).
type shown struct {
	camView
	at time.Time
}

// tracker follows the Cameras of one namespace through a watch, as a user's
// `kubectl get cameras -w` would: what the API shows, and since when.
type tracker struct {
	mu   sync.Mutex
	cams map[string]shown
	// modified counts MODIFIED events, i.e. writes that changed a Camera.
	modified int64
}

func newTracker() *tracker { return &tracker{cams: map[string]shown{}} }

// run lists and watches the Cameras of ns until ctx ends, listing again whenever the
// watch cannot be resumed. ready is closed after the first list.
func (t *tracker) run(ctx context.Context, c client.WithWatch, ns string, ready chan<- struct{}) {
	first := true
	for ctx.Err() == nil {
		var list gbv1.CameraList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			slog.Warn("listing Cameras", "error", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		t.reset(list.Items)
		if first {
			close(ready)
			first = false
		}
		lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return c.Watch(ctx, &gbv1.CameraList{}, client.InNamespace(ns), &client.ListOptions{Raw: &opts})
		}}
		w, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, lw)
		if err != nil {
			slog.Warn("watching Cameras", "error", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		t.follow(ctx, w)
		w.Stop()
	}
}

// follow applies the watch's events until it ends or reports an error.
func (t *tracker) follow(ctx context.Context, w *watchtools.RetryWatcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			switch ev.Type {
			case watch.Error:
				slog.Debug("Camera watch ended", "error", apierrors.FromObject(ev.Object))
				return
			case watch.Added, watch.Modified:
				if cam, ok := ev.Object.(*gbv1.Camera); ok {
					t.set(cam, ev.Type == watch.Modified)
				}
			case watch.Deleted:
				if cam, ok := ev.Object.(*gbv1.Camera); ok {
					t.mu.Lock()
					delete(t.cams, cam.Name)
					t.mu.Unlock()
				}
			}
		}
	}
}

func view(c *gbv1.Camera) camView {
	v := camView{state: c.Status.State}
	if r := c.Status.Registration; r != nil {
		v.remoteAddr = r.RemoteAddr
	}
	if cond := meta.FindStatusCondition(c.Status.Conditions, gbv1.ConditionSubscribed); cond != nil {
		v.subscribed = cond.Status
	}
	if len(c.Status.Channels) > 0 {
		v.channel0 = c.Status.Channels[0].Status
	}
	return v
}

func (t *tracker) reset(items []gbv1.Camera) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	prev := t.cams
	t.cams = make(map[string]shown, len(items))
	for i := range items {
		v := view(&items[i])
		if old, ok := prev[items[i].Name]; ok && old.camView == v {
			t.cams[items[i].Name] = old // unchanged: shown since then
			continue
		}
		t.cams[items[i].Name] = shown{v, now}
	}
}

func (t *tracker) set(c *gbv1.Camera, modified bool) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if modified {
		t.modified++
	}
	v := view(c)
	if old, ok := t.cams[c.Name]; !ok || old.camView != v {
		t.cams[c.Name] = shown{v, now}
	}
}

// modifiedCount is the number of MODIFIED events seen so far.
func (t *tracker) modifiedCount() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.modified
}

// waitFor waits until cond holds for every Camera named in names, and returns when the
// API started showing it: the arrival of the last of the events that made it hold. It
// gives up after timeout, saying how many were still missing.
//
// The times come from the events, so how often it looks does not change the figure; but
// looking costs CPU the API server and the operator share, so it looks every
// waitForEvery, and only at the Cameras that did not yet meet cond (a fleet of 50,000
// cost 3 ms a look). Once all have met it, one look at all of them checks that they hold
// together.
func (t *tracker) waitFor(ctx context.Context, what string, names []string, timeout time.Duration, cond func(camView) bool) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(waitForEvery)
	defer tick.Stop()
	pending := slices.Clone(names)
	for {
		t.mu.Lock()
		pending = slices.DeleteFunc(pending, func(n string) bool {
			v, ok := t.cams[n]
			return ok && cond(v.camView)
		})
		var at time.Time
		if len(pending) == 0 {
			for _, n := range names {
				v, ok := t.cams[n]
				if !ok || !cond(v.camView) {
					pending = append(pending, n)
					continue
				}
				if v.at.After(at) {
					at = v.at
				}
			}
		}
		t.mu.Unlock()
		if len(pending) == 0 {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%s: %d of %d Cameras still not there after %s", what, len(pending), len(names), timeout)
		case <-tick.C:
		}
	}
}

// shownShare returns how long after start the API showed a share (0 to 1] of the
// Cameras named in names as they are now: when the event came that made the Camera at
// that rank, by time, what it is. A burst's half (0.5) is its median Camera's time to
// `Registered`; its last (1) is what waitFor returns.
func (t *tracker) shownShare(names []string, start time.Time, share float64) time.Duration {
	if len(names) == 0 {
		return 0
	}
	t.mu.Lock()
	at := make([]time.Time, 0, len(names))
	for _, n := range names {
		if v, ok := t.cams[n]; ok {
			at = append(at, v.at)
		}
	}
	t.mu.Unlock()
	rank := int(math.Ceil(share*float64(len(names)))) - 1
	if rank < 0 || rank >= len(at) {
		return 0
	}
	slices.SortFunc(at, time.Time.Compare)
	return max(0, at[rank].Sub(start))
}

// waitForEvery is how often waitFor looks at the Cameras.
const waitForEvery = 100 * time.Millisecond

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
