package sipd

import (
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLimiter(t *testing.T) {
	now := time.Now()
	ip := netip.MustParseAddr("192.0.2.1")
	l := newLimiter(3, time.Minute, 5*time.Minute, 4)
	for i := 0; i < 2; i++ {
		if b, _ := l.fail("dev", ip, now); b {
			t.Fatalf("blocked after %d failures", i+1)
		}
	}
	if l.blocked("dev", ip, now) {
		t.Fatal("blocked too early")
	}
	if b, _ := l.fail("dev", ip, now); !b {
		t.Fatal("not blocked at the limit")
	}
	if l.blocked("dev", netip.MustParseAddr("192.0.2.2"), now) || l.blocked("other", ip, now) {
		t.Error("block must apply only to the device at that source")
	}
	if l.blocked("dev", ip, now.Add(6*time.Minute)) {
		t.Error("cool-down did not end")
	}
	// Bounded: a flood of new sources is not tracked past the limit.
	for i := 0; i < 10; i++ {
		l.fail("dev", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), now)
	}
	if n := l.size(); n > 4 {
		t.Errorf("limiter holds %d pairs, bound 4", n)
	}
}

func TestReplayTrackerBoundAndEviction(t *testing.T) {
	lifetime := 140 * time.Second
	tr := newReplayTracker(lifetime, 3)
	width := tr.widthMs
	// Three nonces from three time slots fill the tracker.
	for i := int64(0); i < 3; i++ {
		if v, _ := tr.check(nonceUse{nonce: string(rune('a' + i)), issuedMs: i * width, qop: true, nc: 1, origin: replayOrigin{tx: 1}}, 3*width, 1000); v != replayOK {
			t.Fatalf("nonce %d: %v", i, v)
		}
	}
	// A fourth evicts the oldest slot; the evicted nonce is then stale, never unseen.
	if v, _ := tr.check(nonceUse{nonce: "d", issuedMs: 3 * width, qop: true, nc: 1, origin: replayOrigin{tx: 1}}, 3*width, 1000); v != replayOK {
		t.Fatalf("fourth: %v", v)
	}
	if tr.size() > 3 {
		t.Errorf("size %d over bound", tr.size())
	}
	if v, _ := tr.check(nonceUse{nonce: "a", issuedMs: 0, qop: true, nc: 2, origin: replayOrigin{tx: 2}}, 3*width, 1000); v != replayLost {
		t.Errorf("evicted nonce: %v, want lost", v)
	}
	if v, _ := tr.check(nonceUse{nonce: "b", issuedMs: width, qop: true, nc: 1, origin: replayOrigin{tx: 9}}, 3*width, 1000); v != replayReused {
		t.Errorf("repeated nc: %v", v)
	}
}

func TestNonceMinter(t *testing.T) {
	m := newNonceMinter([]byte("k"), time.Minute)
	other := newNonceMinter([]byte("other key"), time.Minute)
	now := time.Now()
	to := source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5060")}
	n := string(m.mint(nil, devID, to, now))
	cases := []struct {
		name  string
		check func() nonceStatus
		want  nonceStatus
	}{
		{"valid", func() nonceStatus { _, s := m.check(n, devID, now); return s }, nonceValid},
		{"replica with same key", func() nonceStatus {
			_, s := newNonceMinter([]byte("k"), time.Minute).check(n, devID, now)
			return s
		}, nonceValid},
		{"other key", func() nonceStatus { _, s := other.check(n, devID, now); return s }, nonceInvalid},
		{"other device", func() nonceStatus { _, s := m.check(n, "x", now); return s }, nonceInvalid},
		{"expired", func() nonceStatus { _, s := m.check(n, devID, now.Add(2*time.Minute)); return s }, nonceStale},
		{"from the future", func() nonceStatus { _, s := m.check(n, devID, now.Add(-time.Minute)); return s }, nonceInvalid},
		{"tampered", func() nonceStatus {
			b := []byte(n)
			b[3] ^= 1
			_, s := m.check(string(b), devID, now)
			return s
		}, nonceInvalid},
		{"source tag rewritten", func() nonceStatus {
			b := []byte(n)
			b[17] ^= 1 // a hex digit of the source tag: the MAC covers it
			_, s := m.check(string(b), devID, now)
			return s
		}, nonceInvalid},
	}
	for _, c := range cases {
		if got := c.check(); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	distinct := false
	for range 4 {
		distinct = distinct || string(m.mint(nil, devID, to, now)) != n
	}
	if !distinct {
		t.Error("every nonce of one millisecond is the same")
	}
}

// TestNonceSentTo: a nonce says where its challenge went. Only the same transport,
// address and port match, with the key of the registrar (or replica) that minted it.
func TestNonceSentTo(t *testing.T) {
	m := newNonceMinter([]byte("k"), time.Minute)
	now := time.Now()
	to := source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5060")}
	c, status := m.check(string(m.mint(nil, devID, to, now)), devID, now)
	if status != nonceValid {
		t.Fatalf("status %v", status)
	}
	for _, tc := range []struct {
		name string
		src  source
		m    *nonceMinter
		want bool
	}{
		{"where it was sent", to, m, true},
		{"replica with the same key", to, newNonceMinter([]byte("k"), time.Minute), true},
		{"another port of that address", source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.1:5061")}, m, false},
		{"another address", source{transport: "UDP", addr: netip.MustParseAddrPort("192.0.2.2:5060")}, m, false},
		{"another transport", source{transport: "TCP", addr: to.addr}, m, false},
		{"another key", to, newNonceMinter([]byte("other"), time.Minute), false},
	} {
		if got := tc.m.sentTo(c, tc.src); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMetricsRecorded(t *testing.T) {
	reg := prometheus.NewRegistry()
	store := newMemStore()
	store.set(devID, Credentials{Password: devPW})
	s := startServer(t, Config{Registerer: reg}, store)
	d := device(t, s, "udp", devID, devPW)
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	if _, err := d.Keepalive(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	checks := map[string]float64{
		"sipd_active_bindings":  1,
		"sipd_keepalives_total": 1,
	}
	for name, want := range checks {
		if got := gatherValue(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := testutil.ToFloat64(s.metrics.registrations[resRegistered]); got != 1 {
		t.Errorf("registered = %v", got)
	}
	if got := testutil.ToFloat64(s.metrics.registrations[resChallenged]); got != 1 {
		t.Errorf("challenged = %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "sipd_request_duration_seconds"); err != nil || n == 0 {
		t.Errorf("latency histogram: %d %v", n, err)
	}
}

func gatherValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
			return m.Counter.GetValue()
		}
	}
	t.Fatalf("metric %s missing", name)
	return 0
}

func TestTCPIdleTimeoutDefault(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"GB default keepalive", Config{}, 3 * time.Minute},
		{"keepalive every 20s", Config{KeepaliveInterval: 20 * time.Second}, time.Minute},
		{"explicit", Config{KeepaliveInterval: 20 * time.Second, TCPIdleTimeout: time.Hour}, time.Hour},
	}
	for _, c := range cases {
		cfg, err := c.cfg.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TCPIdleTimeout != c.want {
			t.Errorf("%s: TCPIdleTimeout %v, want %v", c.name, cfg.TCPIdleTimeout, c.want)
		}
	}
}

func TestLogThrottleOncePerMinute(t *testing.T) {
	var l logThrottle
	t0 := time.Now()
	steps := []struct {
		after time.Duration
		want  bool
	}{{0, true}, {time.Second, false}, {59 * time.Second, false}, {61 * time.Second, true}, {90 * time.Second, false}}
	for _, s := range steps {
		if got := l.allow(t0.Add(s.after)); got != s.want {
			t.Errorf("at +%v: allow %v, want %v", s.after, got, s.want)
		}
	}
}
