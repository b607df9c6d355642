package sipd_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The tests of package sipd_test start registrars with sipdtest, as every other package
// does, and talk to them as devices do: through the simulator (device, here), or byte
// for byte over a bare socket (peer_test.go, messages_test.go). What they reach below
// the exported API, export_test.go lends them.

const (
	devID = "34020000001320000001"
	devPW = "s3cret"
)

var transports = []string{"udp", "tcp"}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// devStore is a sipdtest.Store that knows devID with devPW.
func devStore() *sipdtest.Store {
	return sipdtest.NewStore(map[string]string{devID: devPW})
}

// device returns a scripted device for s over transport, closed at test end.
func device(t testing.TB, s *sipd.Server, transport, id, password string) *sim.Scripted {
	t.Helper()
	d := &sim.Scripted{ID: id, Password: password, Server: sipdtest.Addr(s, transport), Transport: transport, Expires: 3600}
	t.Cleanup(d.Close)
	return d
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// header is the value of res's header name, "" without one.
func header(res *sip.Response, name string) string {
	if h := res.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// TestMain silences sipgo's package-level logger, which the test devices' TCP
// connections log through, and makes the test binary the flooder of
// BenchmarkKeepalivesUnderFlood when asked to.
func TestMain(m *testing.M) {
	if target := os.Getenv(floodTargetEnv); target != "" {
		flood(target)
	}
	sip.SetDefaultLogger(quietLogger())
	os.Exit(m.Run())
}
