package controllers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// BenchmarkStatusWrite compares what a Camera status write costs the API server (its
// CPU per write, from its own process_cpu_seconds_total, and writes/s with 16 writers) as
// a JSON merge patch and as an update of the status subresource, alternating in one run.
// It is why writeStatus updates:
//
//	go test ./controllers -run '^$' -bench StatusWrite -benchtime 4000x
func BenchmarkStatusWrite(b *testing.B) {
	c := controlPlane(b)
	ns := newNamespace(b, c)
	ctx := context.Background()
	const cameras = 500
	cams := make([]*gbv1.Camera, cameras)
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
	hc, err := rest.HTTPClientFor(controllertest.RestConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	var round atomic.Int64
	write := map[string]func(cam *gbv1.Camera, st gbv1.CameraStatus) error{
		"merge-patch": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			orig := cam.DeepCopy()
			cam.Status = st
			return c.Status().Patch(ctx, cam, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
		},
		"update": func(cam *gbv1.Camera, st gbv1.CameraStatus) error {
			cam.Status = st
			return c.Status().Update(ctx, cam)
		},
	}
	profiles := os.Getenv("STATUSWRITE_PPROF")
	for i, name := range []string{"merge-patch", "update", "merge-patch", "update"} {
		b.Run(name, func(b *testing.B) {
			if profiles != "" && i >= 2 && b.N > 1 {
				defer apiserverProfile(b, hc, filepath.Join(profiles, name+".pprof"))()
			}
			cpu0 := apiserverCPU(b, hc)
			start := time.Now()
			var next atomic.Int64
			var wg sync.WaitGroup
			// Each writer has Cameras of its own: a write never races another on one.
			const writers = 16
			for w := range writers {
				wg.Go(func() {
					for k := 0; ; k++ {
						if next.Add(1) > int64(b.N) {
							return
						}
						cam := cams[w+writers*(k%(cameras/writers))]
						if err := write[name](cam, controllertest.RegisteredStatus(cam, round.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
			b.ReportMetric((apiserverCPU(b, hc)-cpu0)*1e3/float64(b.N), "apiserver-cpu-ms/write")
		})
	}
}

// apiserverProfile starts profiling the API server's CPU (its /debug/pprof, served to
// the control plane's admin) for profileSeconds, and returns a function that waits for
// the profile and writes it to path.
func apiserverProfile(b *testing.B, hc *http.Client, path string) (wait func()) {
	done := make(chan error, 1)
	go func() {
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(controllertest.RestConfig(b).Host, "/"), profileSeconds)
		resp, err := hc.Get(url)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("%s: %s", url, resp.Status)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- errors.Join(err, f.Close())
	}()
	return func() {
		if err := <-done; err != nil {
			b.Errorf("profiling the API server: %v", err)
		}
	}
}

// profileSeconds is how long a profile of the API server lasts: set -benchtime so that
// the writes last longer.
const profileSeconds = 5

// apiserverCPU reads the API server's process_cpu_seconds_total.
func apiserverCPU(b *testing.B, hc *http.Client) float64 {
	resp, err := hc.Get(strings.TrimSuffix(controllertest.RestConfig(b).Host, "/") + "/metrics")
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
