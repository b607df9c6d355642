package sipdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
)

// readyTimeout bounds the wait for a registrar to bind its ports; past it something is
// wrong (the ports cannot be bound), not slow.
const readyTimeout = 10 * time.Second

// Start runs a registrar with cfg and store on free loopback ports (UDP and TCP) and
// returns once it answers. stop ends it and returns what its Start returned. A nil
// cfg.Logger discards the registrar's logs. cfg.ListenAddr defaults to 127.0.0.1:0; a
// test may name another loopback address ("[::1]:0" for IPv6), always with port 0, and
// anything else is an error: tests listen on loopback only, on ports nobody else holds.
func Start(ctx context.Context, cfg sipd.Config, store sipd.CredentialStore) (srv *sipd.Server, stop func() error, err error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if err := loopbackAnyPort(cfg.ListenAddr); err != nil {
		return nil, nil, err
	}
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

// loopbackAnyPort checks that addr is a loopback IP address with port 0.
func loopbackAnyPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() || port != "0" {
		return fmt.Errorf("listen address %q: want a loopback IP address with port 0", addr)
	}
	return nil
}
