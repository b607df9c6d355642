package main

import (
	"context"
	"fmt"
	"runtime"

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
// full digest exchanges over loopback UDP from conns sockets and measures the live heap
// before and after. Then, when load is set, it runs it on the registered devices (the
// registrar alone: no controller consumes its events, and the load generator shares the
// process).
func measureRegistrarHeap(ctx context.Context, n, conns int, firstID string, load func(*kaFleet) error) (heapResult, error) {
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
	// Warm up the registrar's pools and tables with a registration, then measure.
	if err := registerAll(srv.UDPAddr(), []string{"warmup"}, password, 1); err != nil {
		return res, fmt.Errorf("warm-up registration: %w", err)
	}
	res.HeapBeforeBytes = liveHeap()
	kf, err := registerKeepaliveFleet(srv.UDPAddr(), ids, conns, password)
	if err != nil {
		return res, err
	}
	defer kf.Close()
	for _, id := range []string{ids[0], ids[n-1]} {
		if srv.Device(id).Binding == nil {
			return res, fmt.Errorf("device %s has no binding after registering", id)
		}
	}
	res.HeapAfterBytes = liveHeap()
	res.BytesPerBinding = (float64(res.HeapAfterBytes) - float64(res.HeapBeforeBytes)) / float64(n)
	if load != nil {
		return res, load(kf)
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
