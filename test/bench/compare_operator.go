package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/internal/localcluster"
)

// The operator as users run it, for the comparison: the binary of `make dev` against its
// own kube-apiserver and etcd on this machine, one Camera per device of the comparison,
// every password in one Secret (a key per device, so each device has its own, as
// Kamailio's subscriber table has).

// compareOperator is the running operator and its control plane.
type compareOperator struct {
	cp   *localcluster.ControlPlane
	op   *operator
	kube client.WithWatch
	tr   *tracker

	stopWatch context.CancelFunc
	watchDone chan struct{}
	names     []string
	// apiserver and etcd are the control plane's PIDs, for their CPU placement.
	apiserver, etcd int
}

// compareSecret is the Secret holding every device's password under its device ID.
const compareSecret = "compare-credentials"

// startCompareOperator builds and starts the operator with its control plane under
// work, creates a Camera per device of ids and waits until each has its first status.
func startCompareOperator(ctx context.Context, o opts, work string, ids []string, passwordOf func(string) string) (c *compareOperator, err error) {
	c = &compareOperator{}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	for _, d := range []string{"bin", "cluster", "logs"} {
		if err := os.RemoveAll(filepath.Join(work, d)); err != nil {
			return c, err
		}
	}
	slog.Info("building the operator")
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(work, "bin")+string(filepath.Separator), ".")
	build.Dir = kubetest.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return c, fmt.Errorf("go build: %v\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(work, "logs"), 0o755); err != nil {
		return c, err
	}
	slog.Info("starting etcd and kube-apiserver")
	if c.cp, err = localcluster.StartControlPlane(filepath.Join(work, "cluster"), o.assets); err != nil {
		return c, err
	}
	if c.apiserver, err = childNamed("kube-apiserver"); err != nil {
		return c, err
	}
	if c.etcd, err = childNamed("etcd"); err != nil {
		return c, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.cp.KubeconfigPath)
	if err != nil {
		return c, err
	}
	cfg.QPS, cfg.Burst = 5000, 5000
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = gbv1.AddToScheme(scheme)
	if c.kube, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		return c, err
	}
	c.op = &operator{cp: c.cp, bin: filepath.Join(work, "bin", "camera-operator"), logPath: filepath.Join(work, "logs", "operator.log"),
		args: append([]string{"--shard=" + benchShard}, o.operatorArgs...)}
	c.op.pprofAddr = o.comparePprof // empty: not profiled
	if c.op.sipAddr, err = freeSIPAddr(); err != nil {
		return c, err
	}
	if c.op.probeAddr, err = freeTCPAddr(); err != nil {
		return c, err
	}
	if c.op.metricsAddr, err = freeTCPAddr(); err != nil {
		return c, err
	}
	slog.Info("starting the operator", "sip", c.op.sipAddr)
	if _, err := c.op.start(ctx); err != nil {
		return c, err
	}
	wctx, stop := context.WithCancel(context.Background())
	c.tr, c.stopWatch, c.watchDone = newTracker(), stop, make(chan struct{})
	listed := make(chan struct{})
	go func() {
		defer close(c.watchDone)
		c.tr.run(wctx, c.kube, benchNS, listed)
	}()
	select {
	case <-listed:
	case <-ctx.Done():
		return c, ctx.Err()
	}
	return c, c.createCameras(ctx, ids, passwordOf)
}

// createCameras creates the namespace, the Secret and a Camera per device with 32
// concurrent clients, and waits for each Camera's first status.
func (c *compareOperator) createCameras(ctx context.Context, ids []string, passwordOf func(string) string) error {
	slog.Info("creating Cameras", "count", len(ids))
	if err := c.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}); err != nil {
		return err
	}
	data := make(map[string]string, len(ids))
	for _, id := range ids {
		data[id] = passwordOf(id)
	}
	if err := c.kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: compareSecret, Namespace: benchNS}, StringData: data}); err != nil {
		return err
	}
	c.names = make([]string, len(ids))
	for i := range ids {
		c.names[i] = fmt.Sprintf("cam-%05d", i+1)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				cam := &gbv1.Camera{
					ObjectMeta: metav1.ObjectMeta{Name: c.names[i], Namespace: benchNS, Labels: map[string]string{gbv1.ShardLabel: benchShard}},
					Spec: gbv1.CameraSpec{
						DeviceID:             ids[i],
						CredentialsSecretRef: gbv1.SecretKeySelector{Name: compareSecret, Key: ids[i]},
						// sipp sends no keepalives: a day keeps the devices online for the
						// whole comparison, so no Offline writes mix with the registrations'.
						Keepalive: gbv1.KeepaliveSpec{Interval: &metav1.Duration{Duration: 24 * time.Hour}, TimeoutCount: 3},
					},
				}
				if err := c.kube.Create(ctx, cam); err != nil {
					errs <- fmt.Errorf("creating Camera %s: %w", c.names[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	_, err := c.tr.waitFor(ctx, "initial status", c.names, 10*time.Minute, func(v camView) bool { return v.state != "" })
	return err
}

// place puts the operator's and the control plane's processes where t says.
func (c *compareOperator) place(t topology) error {
	registrar, peers := allCPUs(), allCPUs()
	if t.Pinned {
		registrar, peers = []int{registrarCPU}, []int{peerCPU}
	}
	return errors.Join(setAffinity(c.op.child.PID(), registrar), setAffinity(c.apiserver, peers), setAffinity(c.etcd, peers))
}

// statusWrites is the operator's count of Camera status writes so far
// (camera_operator_status_writes_total, every result).
func (c *compareOperator) statusWrites(ctx context.Context) (float64, error) {
	ss, err := c.op.scrape(ctx)
	if err != nil {
		return 0, err
	}
	return ss.sum("camera_operator_status_writes_total", func(l map[string]string) bool { return l["kind"] == "Camera" }), nil
}

// completedRegistrations is the REGISTERs the operator's registrar accepted so far
// (sipd_registrations_total, registered and refreshed): once each, its retransmissions
// answered from the record without being counted again.
func (c *compareOperator) completedRegistrations(ctx context.Context) (float64, error) {
	ss, err := c.op.scrape(ctx)
	if err != nil {
		return 0, err
	}
	return ss.sum("sipd_registrations_total", func(l map[string]string) bool {
		return l["result"] == "registered" || l["result"] == "refreshed"
	}), nil
}

// deviceInfoQueries is the operator's DeviceInfo requests so far, by result.
func (c *compareOperator) deviceInfoQueries(ctx context.Context) (map[string]float64, error) {
	ss, err := c.op.scrape(ctx)
	if err != nil {
		return nil, err
	}
	return ss.byLabel("camera_operator_device_queries_total", "result", func(l map[string]string) bool {
		return l["command"] == "DeviceInfo"
	}), nil
}

// settledWrites waits until the operator's status writes stop growing for quiet (at
// most limit), and returns their count.
func (c *compareOperator) settledWrites(ctx context.Context, quiet, limit time.Duration) (float64, error) {
	deadline := time.Now().Add(limit)
	last, err := c.statusWrites(ctx)
	if err != nil {
		return 0, err
	}
	since := time.Now()
	for time.Now().Before(deadline) && time.Since(since) < quiet {
		sleepCtx(ctx, 250*time.Millisecond)
		n, err := c.statusWrites(ctx)
		if err != nil {
			return 0, err
		}
		if n != last {
			last, since = n, time.Now()
		}
	}
	return last, ctx.Err()
}

// stop ends the watch, the operator and the control plane.
func (c *compareOperator) stop() {
	if c.stopWatch != nil {
		c.stopWatch()
		<-c.watchDone
	}
	if c.cp != nil {
		if err := c.cp.Stop(); err != nil {
			slog.Warn("stopping the control plane", "error", err)
		}
	}
}
