package fleet

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// BenchmarkCollect is one scrape of the fleet gauges of 1,000 and of 50,000 cached
// Cameras in 10 namespaces: its cost is the namespaces' and states', not the fleet's.
func BenchmarkCollect(b *testing.B) {
	for _, cameras := range []int{1000, 50000} {
		b.Run(fmt.Sprintf("cameras=%d", cameras), func(b *testing.B) {
			elected := make(chan struct{})
			close(elected)
			c := newCollector(elected, "")
			states := []gbv1.CameraState{gbv1.StateRegistered, gbv1.StateOffline, ""}
			for i := range cameras {
				c.cameraCounts.OnAdd(camera(fmt.Sprintf("site-%d", i%10), fmt.Sprintf("cam-%d", i), states[i%len(states)]), true)
			}
			reg := prometheus.NewRegistry()
			if err := reg.Register(c); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
