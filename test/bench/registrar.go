package main

import (
	"context"
	"log/slog"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The registrar alone, in the bench's process: what the heap, keepalive and Kamailio
// measurements drive when they leave out the operator and its API server.

// startRegistrarAlone runs sipd on 127.0.0.1 with store until stop. No Notifier: the
// device changes the operator's controllers would hear of go nowhere. stop logs how the
// server ended if it failed: a measurement is over by then.
func startRegistrarAlone(ctx context.Context, store sipd.CredentialStore) (srv *sipd.Server, stop func(), err error) {
	srv, stopServer, err := sipdtest.Start(ctx, sipd.Config{}, store)
	if err != nil {
		return nil, nil, err
	}
	return srv, func() {
		if err := stopServer(); err != nil {
			slog.Warn("stopping the registrar", "err", err)
		}
	}, nil
}

// fleetIDs returns n device IDs counted up from first, as camsim numbers a fleet.
func fleetIDs(first string, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		var err error
		if ids[i], err = sim.NextID(first, i); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
