package fleet

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// listTimeout bounds the cache reads of one scrape: they do not leave the process.
const listTimeout = 5 * time.Second

// cameraStates and streamStates are every state a gauge is exported for, zero counts
// included, in each namespace with objects: a ratio of Offline Cameras needs the
// series to exist while none is.
var (
	cameraStates = []gbv1.CameraState{gbv1.StatePending, gbv1.StateRegistered, gbv1.StateOffline, gbv1.StateExpired,
		gbv1.StateUnregistered, gbv1.StateAuthFailed, gbv1.StateSuspended, gbv1.StateConflict}
	streamStates = []gbv1.StreamState{gbv1.StreamPending, gbv1.StreamWaitingForCamera, gbv1.StreamInviting,
		gbv1.StreamPlaying, gbv1.StreamFailed, gbv1.StreamStopped, gbv1.StreamCompleted}
)

// collector counts Cameras and Streams by namespace and state from a cache.
type collector struct {
	reader  client.Reader
	elected <-chan struct{}
	cameras *prometheus.Desc
	streams *prometheus.Desc
}

// Register adds the fleet gauges of mgr's cache to reg, labelled with the operator's
// shard ("" for the unsharded one). A collector an earlier manager of this process
// registered (tests start several) is replaced: the gauges are the latest manager's.
func Register(mgr ctrl.Manager, shard string, reg prometheus.Registerer) error {
	c := newCollector(mgr.GetCache(), mgr.Elected(), shard)
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		reg.Unregister(are.ExistingCollector)
		err = reg.Register(c)
	}
	return err
}

func newCollector(reader client.Reader, elected <-chan struct{}, shard string) *collector {
	constLabels := prometheus.Labels{"shard": shard}
	return &collector{
		reader:  reader,
		elected: elected,
		cameras: prometheus.NewDesc("camera_operator_cameras", "Cameras by namespace and state (status.state; Pending before the first status), exported by the leader.", []string{"namespace", "state"}, constLabels),
		streams: prometheus.NewDesc("camera_operator_streams", "Streams by namespace and state, exported by the leader.", []string{"namespace", "state"}, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cameras
	ch <- c.streams
}

// Collect implements prometheus.Collector: nothing until this replica leads.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.elected:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	var cams gbv1.CameraList
	// The counts only read the state: the cache's own objects, not copies.
	if err := c.reader.List(ctx, &cams, client.UnsafeDisableDeepCopy); err == nil {
		counts := map[string]map[gbv1.CameraState]int{}
		for i := range cams.Items {
			state := cams.Items[i].Status.State
			if state == "" {
				state = gbv1.StatePending
			}
			tally(counts, cams.Items[i].Namespace, state)
		}
		emit(ch, c.cameras, counts, cameraStates)
	} else {
		ch <- prometheus.NewInvalidMetric(c.cameras, err)
	}
	var streams gbv1.StreamList
	if err := c.reader.List(ctx, &streams, client.UnsafeDisableDeepCopy); err == nil {
		counts := map[string]map[gbv1.StreamState]int{}
		for i := range streams.Items {
			state := streams.Items[i].Status.State
			if state == "" {
				state = gbv1.StreamPending
			}
			tally(counts, streams.Items[i].Namespace, state)
		}
		emit(ch, c.streams, counts, streamStates)
	} else {
		ch <- prometheus.NewInvalidMetric(c.streams, err)
	}
}

// tally counts one object of namespace ns in state.
func tally[S ~string](counts map[string]map[S]int, ns string, state S) {
	byState := counts[ns]
	if byState == nil {
		byState = map[S]int{}
		counts[ns] = byState
	}
	byState[state]++
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
