package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// heapResult is the registrar's memory per registered device.
type heapResult struct {
	Bindings int `json:"bindings"`
	// BytesPerBinding is the growth of the live heap (after GC) per registered device:
	// binding, nonce and limiter state, indexes; everything the registrar keeps.
	BytesPerBinding float64 `json:"bytes_per_binding"`
	HeapBeforeBytes uint64  `json:"heap_before_bytes"`
	HeapAfterBytes  uint64  `json:"heap_after_bytes"`
}

// measureRegistrarHeap runs the registrar in this process, registers n devices with
// full digest exchanges over loopback UDP and measures the live heap before and after.
// Then, when load is set, it runs it against the registered devices (the registrar
// alone: no controller consumes its events, and the load generator shares the process).
func measureRegistrarHeap(ctx context.Context, n int, firstID string, load func(addr string, ids []string) error) (heapResult, error) {
	res := heapResult{Bindings: n}
	const password = "heap-bench"
	srv, stop, err := startRegistrarAlone(ctx, sipdtest.OnePassword(password))
	if err != nil {
		return res, err
	}
	defer stop()
	ids, err := fleetIDs(firstID, n)
	if err != nil {
		return res, err
	}
	const clients = 16
	conns := make([]*rawConn, clients)
	for i := range conns {
		if conns[i], err = dialRaw(srv.UDPAddr()); err != nil {
			return res, err
		}
		defer conns[i].Close()
	}
	// Warm up the registrar's pools and tables with a registration, then measure.
	if err := conns[0].register("warmup", password); err != nil {
		return res, fmt.Errorf("warm-up registration: %w", err)
	}
	res.HeapBeforeBytes = liveHeap()

	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for ci, c := range conns {
		wg.Go(func() {
			for i := ci; i < n; i += clients {
				if err := c.register(ids[i], password); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return res, fmt.Errorf("%d of %d registrations failed: %v", f, n, firstErr)
	}
	for _, id := range []string{ids[0], ids[n-1]} {
		if srv.Device(id).Binding == nil {
			return res, fmt.Errorf("device %s has no binding after registering", id)
		}
	}
	res.HeapAfterBytes = liveHeap()
	res.BytesPerBinding = (float64(res.HeapAfterBytes) - float64(res.HeapBeforeBytes)) / float64(n)
	if load != nil {
		return res, load(srv.UDPAddr(), ids)
	}
	return res, nil
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
