package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// cameraStates and streamStates are every state a gauge is exported for, zero counts
// included, in each namespace with objects: a ratio of Offline Cameras needs the
// series to exist while none is.
var (
	cameraStates = []gbv1.CameraState{gbv1.StatePending, gbv1.StateRegistered, gbv1.StateOffline, gbv1.StateExpired,
		gbv1.StateUnregistered, gbv1.StateAuthFailed, gbv1.StateSuspended, gbv1.StateConflict}
	streamStates = []gbv1.StreamState{gbv1.StreamPending, gbv1.StreamWaitingForCamera, gbv1.StreamInviting,
		gbv1.StreamPlaying, gbv1.StreamFailed, gbv1.StreamStopped, gbv1.StreamCompleted}
)

// collector exports the counts of Cameras and Streams by namespace and state that its
// tallies keep from the cache.
type collector struct {
	elected <-chan struct{}
	cameras *prometheus.Desc
	streams *prometheus.Desc
	// cameraCounts and streamCounts are the tallies the cache's informers feed.
	cameraCounts *tally[gbv1.CameraState]
	streamCounts *tally[gbv1.StreamState]
}

// Register adds the fleet gauges of mgr's cache to reg, labelled with the operator's
// shard ("" for the unsharded one). It must run before mgr starts: it adds the handlers
// that count the cache's Cameras and Streams to their informers. A collector an earlier
// manager of this process registered (tests start several) is replaced: the gauges are
// the latest manager's.
func Register(ctx context.Context, mgr ctrl.Manager, shard string, reg prometheus.Registerer) error {
	c := newCollector(mgr.Elected(), shard)
	if err := c.countFrom(ctx, mgr.GetCache()); err != nil {
		return err
	}
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		reg.Unregister(are.ExistingCollector)
		err = reg.Register(c)
	}
	return err
}

func newCollector(elected <-chan struct{}, shard string) *collector {
	constLabels := prometheus.Labels{"shard": shard}
	return &collector{
		elected: elected,
		cameras: prometheus.NewDesc("camera_operator_cameras", "Cameras by namespace and state (status.state; Pending before the first status), exported by the leader.", []string{"namespace", "state"}, constLabels),
		streams: prometheus.NewDesc("camera_operator_streams", "Streams by namespace and state, exported by the leader.", []string{"namespace", "state"}, constLabels),
		cameraCounts: newTally(func(o client.Object) gbv1.CameraState {
			if cam, ok := o.(*gbv1.Camera); ok && cam.Status.State != "" {
				return cam.Status.State
			}
			return gbv1.StatePending
		}),
		streamCounts: newTally(func(o client.Object) gbv1.StreamState {
			if st, ok := o.(*gbv1.Stream); ok && st.Status.State != "" {
				return st.Status.State
			}
			return gbv1.StreamPending
		}),
	}
}

// countFrom feeds the tallies from the informers of c's Cameras and Streams.
func (c *collector) countFrom(ctx context.Context, informers cache.Informers) error {
	if err := feed(ctx, informers, &gbv1.Camera{}, c.cameraCounts); err != nil {
		return err
	}
	return feed(ctx, informers, &gbv1.Stream{}, c.streamCounts)
}

// feed adds t to the informer of obj's kind as an event handler.
func feed[S ~string](ctx context.Context, informers cache.Informers, obj client.Object, t *tally[S]) error {
	inf, err := informers.GetInformer(ctx, obj)
	if err != nil {
		return fmt.Errorf("fleet gauges: the informer of %T: %w", obj, err)
	}
	reg, err := inf.AddEventHandler(t)
	if err != nil {
		return fmt.Errorf("fleet gauges: counting %T: %w", obj, err)
	}
	t.synced = reg.HasSynced
	return nil
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cameras
	ch <- c.streams
}

// Collect implements prometheus.Collector: nothing until this replica leads, and no
// kind whose informer has not yet delivered its first list.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.elected:
	default:
		return
	}
	if counts, ok := c.cameraCounts.snapshot(); ok {
		emit(ch, c.cameras, counts, cameraStates)
	}
	if counts, ok := c.streamCounts.snapshot(); ok {
		emit(ch, c.streams, counts, streamStates)
	}
}

// emit sends a gauge per namespace and state: every known state, and any other seen.
func emit[S ~string](ch chan<- prometheus.Metric, desc *prometheus.Desc, counts map[string]map[S]int, known []S) {
	for ns, byState := range counts {
		for _, s := range known {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(byState[s]), ns, string(s))
		}
		for s, n := range byState {
			if !slices.Contains(known, s) {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), ns, string(s))
			}
		}
	}
}
