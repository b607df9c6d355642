package sipd

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
)

// FuzzHandle feeds arbitrary datagrams to the request handling of a running server:
// whatever arrives, the registrar must answer or drop it without panicking. The seed
// corpus is every capture plus testdata/fuzz/FuzzHandle, so plain `go test` runs them.
func FuzzHandle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.sip"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	store := newMemStore()
	for _, id := range []string{devID, "130909113319427420", "1018", "32100045", "101"} {
		store.set(id, Credentials{Password: devPW})
	}
	// handle recovers from panics and logs them at Error: the fuzzer watches that log,
	// so a panic still fails it.
	var errorLog testutil.LogBuffer
	s := startServer(f, Config{MaxMessageSize: 8192, Logger: slog.New(slog.NewTextHandler(&errorLog, &slog.HandlerOptions{Level: slog.LevelError}))}, store)
	src := sinkSource(f)
	// A live binding, so that keepalives and responses reach their deeper paths.
	s.Seed([]Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: src.addr.String(), RegisteredAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > s.cfg.MaxMessageSize {
			return // the transport drops these before handle
		}
		errorLog.Reset()
		s.handle(data, src)
		if log := errorLog.String(); strings.Contains(log, "panic") {
			t.Fatalf("handling %q: %s", data, log)
		}
	})
}

// FuzzAuthorization checks the Authorization parser alone.
func FuzzAuthorization(f *testing.F) {
	f.Add(`Digest username="admin", realm="hik", nonce="a8af", uri="sip:1@2", response="907d", algorithm=MD5, opaque="a8"`)
	f.Add(`Digest  username="1", realm="r",nonce="n",uri="u",response="r",qop=auth,nc=00000001,cnonce="c"`)
	f.Add(`Digest username="x`)
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseAuthorization(v)
		if err != nil {
			return
		}
		if a.username == "" || a.nonce == "" {
			t.Fatalf("accepted without username/nonce: %+v", a)
		}
		digestMatches(parseAlg(a.algorithm), &a, "pw", "REGISTER")
	})
}
