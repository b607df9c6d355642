package sipdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
)

// readyTimeout bounds the wait for a registrar to bind its ports; past it something is
// wrong (the ports cannot be bound), not slow.
const readyTimeout = 10 * time.Second

// Start runs a registrar with cfg and store on free 127.0.0.1 ports (UDP and TCP) and
// returns once it answers. stop ends it and returns what its Start returned. A nil
// cfg.Logger discards the registrar's logs; cfg.ListenAddr is always 127.0.0.1:0.
func Start(ctx context.Context, cfg sipd.Config, store sipd.CredentialStore) (srv *sipd.Server, stop func() error, err error) {
	cfg.ListenAddr = "127.0.0.1:0"
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err = sipd.New(cfg, store)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	stop = func() error {
		cancel()
		return <-done
	}
	select {
	case <-srv.Ready():
		return srv, stop, nil
	case err := <-done:
		cancel()
		return nil, nil, fmt.Errorf("registrar did not start: %w", err)
	case <-time.After(readyTimeout):
		return nil, nil, errors.Join(errors.New("registrar not ready"), stop())
	}
}

// StartT is Start for a test: the registrar stops when the test ends, and an error
// from its Start fails the test.
func StartT(t testing.TB, cfg sipd.Config, store sipd.CredentialStore) *sipd.Server {
	t.Helper()
	srv, stop, err := Start(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("registrar: %v", err)
		}
	})
	return srv
}

// Addr returns the registrar's address for transport ("tcp", else UDP).
func Addr(srv *sipd.Server, transport string) string {
	if transport == "tcp" {
		return srv.TCPAddr()
	}
	return srv.UDPAddr()
}
