package sim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// These tests run the simulated devices against the project's real registrar, sipd, on
// 127.0.0.1 over UDP and TCP.

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMain(m *testing.M) {
	// sipgo's connection code logs through its package default, with warnings when
	// connections are torn down at the end of each test; keep the output readable.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}

func newDevice(t *testing.T, cfg sim.Config) *sim.Device {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	d, err := sim.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// runInBackground runs dev's life (register, keep alive, refresh) in the background;
// stop ends it and returns Run's error. The end of the test stops it too.
func runInBackground(t *testing.T, dev *sim.Device) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dev.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func sortedItems(items []manscdp.CatalogItem) []manscdp.CatalogItem {
	out := append([]manscdp.CatalogItem(nil), items...)
	sort.Slice(out, func(i, j int) bool { return out[i].DeviceID < out[j].DeviceID })
	return out
}

func TestDeviceAgainstSipd(t *testing.T) {
	tests := []struct {
		name   string
		server sipd.Config
		device sim.Config
	}{
		{name: "IPC MD5 qop", device: sim.Config{ID: "34020000001320000001"}},
		{name: "IPC MD5 answering qop without qop", device: sim.Config{ID: "34020000001320000002", NoQop: true}},
		{name: "IPC MD5 no qop offered", server: sipd.Config{DisableQop: true}, device: sim.Config{ID: "34020000001320000003"}},
		{name: "IPC SHA-256", server: sipd.Config{SHA256: true}, device: sim.Config{ID: "34020000001320000004", Algorithm: "SHA-256"}},
		{name: "IPC MD5 from a SHA-256 registrar", server: sipd.Config{SHA256: true}, device: sim.Config{ID: "34020000001320000005"}},
		{name: "IPC UTF-8 bodies", device: sim.Config{ID: "34020000001320000006", Charset: "utf-8"}},
		{name: "NVR of 45 channels in parts", device: sim.Config{ID: "34020000001180000001", Channels: 45, CatalogPage: 20}},
		{name: "NVR UTF-8 one item per part", device: sim.Config{ID: "34020000001180000002", Channels: 5, CatalogPage: 1, Charset: "utf-8"}},
	}
	for _, transport := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				store := sipdtest.NewStore(nil)
				store.SetPassword(tt.device.ID, "s3cret-"+tt.device.ID)
				srv := sipdtest.StartT(t, tt.server, store)

				cfg := tt.device
				cfg.Password = "s3cret-" + cfg.ID
				cfg.Server = sipdtest.Addr(srv, transport)
				cfg.Transport = transport
				dev := newDevice(t, cfg)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()

				reg, err := dev.Register(ctx)
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if !reg.Challenged || reg.Expires != time.Hour || reg.Date == "" {
					t.Errorf("registration %+v: want a challenge, 1h granted and a Date", reg)
				}
				b := srv.Device(cfg.ID).Binding
				if b == nil {
					t.Fatal("sipd has no binding after a 200 OK")
				}
				if want := map[string]string{"udp": "UDP", "tcp": "TCP"}[transport]; b.Transport != want {
					t.Errorf("binding transport %q, want %q", b.Transport, want)
				}
				if b.RemoteAddr != dev.Endpoint().LocalAddr() {
					t.Errorf("binding source %q, device sends from %q", b.RemoteAddr, dev.Endpoint().LocalAddr())
				}

				if err := dev.Keepalive(ctx); err != nil {
					t.Fatalf("Keepalive: %v", err)
				}
				if srv.Device(cfg.ID).Binding.LastKeepalive.IsZero() {
					t.Error("sipd recorded no keepalive")
				}

				info, err := srv.QueryDeviceInfo(ctx, sipd.DeviceRef{ID: cfg.ID})
				if err != nil {
					t.Fatalf("QueryDeviceInfo: %v", err)
				}
				if *info != dev.Info() {
					t.Errorf("DeviceInfo = %+v, want %+v", *info, dev.Info())
				}

				cat, err := srv.QueryCatalog(ctx, sipd.DeviceRef{ID: cfg.ID})
				if err != nil {
					t.Fatalf("QueryCatalog: %v", err)
				}
				want := dev.Catalog()
				if cat.SumNum != len(want) || len(cat.Items) != len(want) {
					t.Fatalf("catalog SumNum %d with %d items, want %d", cat.SumNum, len(cat.Items), len(want))
				}
				got, wantSorted := sortedItems(cat.Items), sortedItems(want)
				for i := range got {
					if got[i] != wantSorted[i] {
						t.Errorf("catalog item %d = %+v, want %+v", i, got[i], wantSorted[i])
					}
				}
				// The device counts a query answered once the registrar's 200 to its last
				// part is back, which may be just after QueryCatalog returned.
				testutil.EventuallyTrue(t, 5*time.Second, "two queries answered", func() bool { return dev.QueriesAnswered() == 2 })

				if err := dev.Unregister(ctx); err != nil {
					t.Fatalf("Unregister: %v", err)
				}
				if st := srv.Device(cfg.ID); st.Binding != nil || st.LastUnregistered.IsZero() {
					t.Errorf("after unregistering: %+v", st)
				}
				if dev.Registered() {
					t.Error("device still believes it is registered")
				}
				// The registrar now refuses our keepalives: we are not registered.
				if err := dev.Keepalive(ctx); sim.StatusCode(err) != 404 {
					t.Errorf("keepalive after unregistering: %v, want 404", err)
				}
			})
		}
	}
}

func TestRegisterRefusals(t *testing.T) {
	store := sipdtest.NewStore(nil)
	store.SetPassword("34020000001320000001", "right")
	srv := sipdtest.StartT(t, sipd.Config{MinExpires: 120 * time.Second}, store)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tests := []struct {
		name     string
		cfg      sim.Config
		wantCode int
		wantErr  error
	}{
		{name: "wrong password", cfg: sim.Config{ID: "34020000001320000001", Password: "wrong"}, wantCode: 403},
		{name: "unknown device", cfg: sim.Config{ID: "34020000001320000999", Password: "x"}, wantCode: 404},
		{name: "SHA-256 device, MD5 registrar", cfg: sim.Config{ID: "34020000001320000001", Password: "right", Algorithm: "SHA-256"}, wantErr: sim.ErrNoAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Server = srv.UDPAddr()
			dev := newDevice(t, tt.cfg)
			_, err := dev.Register(ctx)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Register: %v, want %v", err, tt.wantErr)
			}
			if tt.wantCode != 0 && sim.StatusCode(err) != tt.wantCode {
				t.Fatalf("Register: %v, want status %d", err, tt.wantCode)
			}
			if srv.Device(tt.cfg.ID).Binding != nil || dev.Registered() {
				t.Error("a refused device is registered")
			}
		})
	}

	t.Run("too brief expiry is raised to Min-Expires", func(t *testing.T) {
		dev := newDevice(t, sim.Config{ID: "34020000001320000001", Password: "right", Expires: 30 * time.Second, Server: srv.UDPAddr()})
		reg, err := dev.Register(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if reg.Expires != 120*time.Second {
			t.Errorf("granted %v, want the registrar's minimum 120s", reg.Expires)
		}
	})
}

func TestReuseNonceRefresh(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			store.SetPassword("34020000001320000001", "pw")
			srv := sipdtest.StartT(t, sipd.Config{}, store)
			dev := newDevice(t, sim.Config{ID: "34020000001320000001", Password: "pw", ReuseNonce: true,
				Server: sipdtest.Addr(srv, transport), Transport: transport})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := dev.Register(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				reg, err := dev.Register(ctx)
				if err != nil {
					t.Fatalf("refresh %d: %v", i, err)
				}
				if reg.Challenged {
					t.Errorf("refresh %d with the next nonce count was challenged again", i)
				}
			}
			if srv.Device("34020000001320000001").Binding == nil {
				t.Fatal("no binding after the refreshes")
			}
			if err := dev.Unregister(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRunLifecycle runs a device's whole life against sipd with short timers: register,
// keepalives, a refresh before expiry, re-registration after the registrar forgets it
// (keepalive 404), and unregistration when stopped.
func TestRunLifecycle(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const id = "34020000001320000001"
			store := sipdtest.NewStore(nil)
			store.SetPassword(id, "pw")
			srv := sipdtest.StartT(t, sipd.Config{MinExpires: 2 * time.Second}, store)
			stats := sim.NewStats()
			dev := newDevice(t, sim.Config{ID: id, Password: "pw", Server: sipdtest.Addr(srv, transport), Transport: transport,
				Expires: 2 * time.Second, KeepaliveInterval: 100 * time.Millisecond, RetryMin: 100 * time.Millisecond, Stats: stats})

			stop := runInBackground(t, dev)

			testutil.EventuallyTrue(t, 5*time.Second, "registration", func() bool { return srv.Device(id).Binding != nil })
			testutil.EventuallyTrue(t, 5*time.Second, "keepalives", func() bool { return stats.Summary().KeepalivesOK >= 3 })
			// A 2s registration is refreshed 1s before it runs out.
			testutil.EventuallyTrue(t, 5*time.Second, "a refresh", func() bool { return stats.Summary().Registered >= 2 })

			srv.Drop(id)
			testutil.EventuallyTrue(t, 5*time.Second, "a keepalive 404", func() bool { return stats.Summary().KeepalivesFailed >= 1 })
			// The device registers again. Wait until it has counted a registration since
			// the 404 was seen, not only until the registrar holds one: stopped while its
			// REGISTER is answered, the device does not know it is registered and leaves
			// without unregistering.
			before := stats.Summary().Registered
			testutil.EventuallyTrue(t, 5*time.Second, "re-registration after a keepalive 404", func() bool {
				return srv.Device(id).Binding != nil && stats.Summary().Registered > before
			})

			if err := stop(); err != nil {
				t.Errorf("Run: %v", err)
			}
			if st := srv.Device(id); st.Binding != nil || st.LastUnregistered.IsZero() {
				t.Errorf("after Run ended the registrar still has %+v", st)
			}
			if s := stats.Summary(); s.Unregistered != 1 || s.Failed != 0 {
				t.Errorf("summary %+v: want 1 unregistration and no failure", s)
			}
		})
	}
}

// TestRunRetriesWithBackoff: a device unknown to the registrar keeps retrying (404) and
// registers once it is declared.
func TestRunRetriesWithBackoff(t *testing.T) {
	const id = "34020000001320000001"
	store := sipdtest.NewStore(nil)
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	stats := sim.NewStats()
	dev := newDevice(t, sim.Config{ID: id, Password: "pw", Server: srv.UDPAddr(),
		RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, Stats: stats})
	runInBackground(t, dev)

	testutil.EventuallyTrue(t, 5*time.Second, "two refused attempts", func() bool { return stats.Summary().Failures["404"] >= 2 })
	if srv.Device(id).Binding != nil {
		t.Fatal("registered while unknown")
	}
	store.SetPassword(id, "pw")
	testutil.EventuallyTrue(t, 5*time.Second, "registration after the retry", func() bool { return srv.Device(id).Binding != nil })
}

func TestFleetAgainstSipd(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const n = 40
			store := sipdtest.NewStore(nil)
			ids := make([]string, n)
			for i := range ids {
				ids[i], _ = sim.NextID("34020000001320000001", i)
				store.SetPassword(ids[i], "pw")
			}
			srv := sipdtest.StartT(t, sipd.Config{}, store)
			fleet, err := sim.NewFleet(sim.FleetConfig{
				Device: sim.Config{ID: ids[0], Password: "pw", Server: sipdtest.Addr(srv, transport), Transport: transport, Logger: quiet()},
				Count:  n, Endpoints: 3, Workers: 8,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer fleet.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			if got := fleet.RegisterAll(ctx); got != n {
				t.Fatalf("RegisterAll registered %d of %d: %+v", got, n, fleet.Summary())
			}
			sources := map[string]bool{}
			for _, id := range ids {
				b := srv.Device(id).Binding
				if b == nil {
					t.Fatalf("%s not registered in sipd", id)
				}
				sources[b.RemoteAddr] = true
			}
			if len(sources) != 3 {
				t.Errorf("devices came from %d source addresses, want the 3 endpoints", len(sources))
			}
			s := fleet.Summary()
			if s.Devices != n || s.Registered != n || s.Failed != 0 || s.LatencyMs.Samples != n || s.LatencyMs.P50 <= 0 ||
				s.LatencyMs.P99 < s.LatencyMs.P50 || s.RegistrationsPerSecond <= 0 {
				t.Errorf("summary %+v", s)
			}

			// Queries reach the right device on a shared endpoint.
			for _, d := range []*sim.Device{fleet.Devices()[0], fleet.Devices()[n/2], fleet.Devices()[n-1]} {
				info, err := srv.QueryDeviceInfo(ctx, sipd.DeviceRef{ID: d.ID()})
				if err != nil || info.DeviceID != d.ID() || info.DeviceName != d.Info().DeviceName {
					t.Errorf("DeviceInfo of %s = %+v, %v", d.ID(), info, err)
				}
			}

			fleet.UnregisterAll(ctx)
			for _, id := range ids {
				if srv.Device(id).Binding != nil {
					t.Fatalf("%s still registered after UnregisterAll", id)
				}
			}
			if s := fleet.Summary(); s.Unregistered != n {
				t.Errorf("unregistered %d, want %d", s.Unregistered, n)
			}
		})
	}
}

func TestFleetRun(t *testing.T) {
	const n = 10
	store := sipdtest.NewStore(nil)
	first := "34020000001320000101"
	for i := range n {
		id, _ := sim.NextID(first, i)
		store.SetPassword(id, "pw")
	}
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	fleet, err := sim.NewFleet(sim.FleetConfig{
		Device: sim.Config{ID: first, Password: "pw", Server: srv.UDPAddr(), KeepaliveInterval: 50 * time.Millisecond, Logger: quiet()},
		Count:  n, Workers: 4, Rate: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		fleet.Run(ctx, 10*time.Second)
		close(done)
	}()
	testutil.EventuallyTrue(t, 10*time.Second, "keepalives from every device", func() bool { return fleet.Summary().KeepalivesOK >= 3*n })
	for _, d := range fleet.Devices() {
		if srv.Device(d.ID()).Binding == nil {
			t.Errorf("%s not registered", d.ID())
		}
	}
	cancel()
	<-done
	s := fleet.Summary()
	if s.Registered != n || s.Unregistered != n || s.Failed != 0 || s.KeepalivesFailed != 0 {
		t.Errorf("summary %+v", s)
	}
	for _, d := range fleet.Devices() {
		if srv.Device(d.ID()).Binding != nil {
			t.Errorf("%s still registered after Run", d.ID())
		}
	}
}

// BenchmarkFleetRegister registers a fleet against an in-process sipd (both sharing the
// machine's cores) and reports full digest registrations per second and the
// REGISTER→200 latency, as `camsim --once` would.
func BenchmarkFleetRegister(b *testing.B) {
	const n = 2000
	for _, transport := range []string{"udp", "tcp"} {
		b.Run(transport, func(b *testing.B) {
			store := sipdtest.NewStore(nil)
			for i := range n {
				id, _ := sim.NextID("34020000001320000001", i)
				store.SetPassword(id, "pw")
			}
			srv := sipdtest.StartT(b, sipd.Config{}, store)
			var last sim.Summary
			for b.Loop() {
				fleet, err := sim.NewFleet(sim.FleetConfig{
					Device: sim.Config{ID: "34020000001320000001", Password: "pw", Server: sipdtest.Addr(srv, transport), Transport: transport, Logger: quiet()},
					Count:  n, Endpoints: 64, Workers: 256,
				})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if got := fleet.RegisterAll(ctx); got != n {
					b.Fatalf("registered %d of %d: %+v", got, n, fleet.Summary())
				}
				last = fleet.Summary()
				fleet.UnregisterAll(ctx)
				cancel()
				fleet.Close()
			}
			b.ReportMetric(last.RegistrationsPerSecond, "reg/s")
			b.ReportMetric(last.LatencyMs.P50, "p50-ms")
			b.ReportMetric(last.LatencyMs.P99, "p99-ms")
		})
	}
}

// TestTCPReconnectReregisters: when the registrar closes an idle TCP connection, the
// device registers again over a new one (as pjsip devices do), so the registrar's
// queries reach it there.
func TestTCPReconnectReregisters(t *testing.T) {
	const id = "34020000001320000001"
	store := sipdtest.NewStore(nil)
	store.SetPassword(id, "pw")
	srv := sipdtest.StartT(t, sipd.Config{TCPIdleTimeout: 300 * time.Millisecond}, store)
	stats := sim.NewStats()
	dev := newDevice(t, sim.Config{ID: id, Password: "pw", Server: srv.TCPAddr(), Transport: "tcp",
		KeepaliveInterval: 600 * time.Millisecond, Stats: stats})
	runInBackground(t, dev)

	testutil.EventuallyTrue(t, 5*time.Second, "registration", func() bool { return srv.Device(id).Binding != nil })
	first := srv.Device(id).Binding.RemoteAddr
	testutil.EventuallyTrue(t, 10*time.Second, "registration over a new connection", func() bool {
		b := srv.Device(id).Binding
		return b != nil && b.RemoteAddr != first && stats.Summary().Registered >= 2
	})
	qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer qcancel()
	// The connection may be closed again at any time; a query right after a
	// registration lands on the live one.
	testutil.EventuallyTrue(t, 10*time.Second, "a query over the new connection", func() bool {
		info, err := srv.QueryDeviceInfo(qctx, sipd.DeviceRef{ID: id})
		return err == nil && info.DeviceID == id
	})
}

// TestKeepaliveCutShortIsNotAFailure: a keepalive abandoned because the caller stopped
// (a fleet shutting down) counts neither as answered nor as failed; one the registrar
// refuses counts as failed.
func TestKeepaliveCutShortIsNotAFailure(t *testing.T) {
	const id = "34020000001320000191"
	store := sipdtest.NewStore(nil)
	store.SetPassword(id, "pw")
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	stats := sim.NewStats()
	d := newDevice(t, sim.Config{ID: id, Password: "pw", Server: srv.UDPAddr(), Stats: stats})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Keepalive(ctx); err == nil {
		t.Fatal("keepalive with a cancelled context succeeded")
	}
	if s := stats.Summary(); s.KeepalivesFailed != 0 || s.KeepalivesOK != 0 {
		t.Fatalf("a keepalive cut short was counted: %d ok, %d failed", s.KeepalivesOK, s.KeepalivesFailed)
	}
	if err := d.Keepalive(context.Background()); err == nil {
		t.Fatal("keepalive of an unregistered device succeeded")
	}
	if s := stats.Summary(); s.KeepalivesFailed != 1 {
		t.Fatalf("a refused keepalive counted %d failures, want 1", s.KeepalivesFailed)
	}
}
