package camera

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// BenchmarkRegistrationJob is the querier's whole job for a new registration of a camsim
// NVR of two channels over loopback: DeviceInfo, Catalog, DeviceStatus, ConfigDownload,
// GuardCmd and two PresetQueries, one after another in the one query slot they hold. It
// prints the queries the device answered per job.
func BenchmarkRegistrationJob(b *testing.B) {
	r := newDetailRig(b, "34020000001180000094")
	signals := make(chan string, 8)
	signal := func(id string) {
		select {
		case signals <- id:
		default: // a signal left over from an earlier job; the wait below polls too
		}
	}
	q := newQuerier(r.srv, Options{now: r.clock.Now}.WithDefaults(), signal, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Start(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	busy := func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		s := q.devices[r.dev.ID()]
		return s.queued || s.running
	}

	before := r.dev.QueriesAnswered()
	b.ResetTimer()
	for i := range b.N {
		w := r.want
		w.registeredAt = r.want.registeredAt.Add(time.Duration(i+1) * time.Millisecond)
		q.due(w)
		for busy() {
			select {
			case <-signals:
			case <-time.After(time.Millisecond):
			}
		}
		q.consumed(r.dev.ID(), q.result(r.dev.ID()))
	}
	b.StopTimer()
	b.ReportMetric(float64(r.dev.QueriesAnswered()-before)/float64(b.N), "queries/op")
}
