package main

import (
	"context"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// startRegistrar runs sipd on loopback with one password for every device.
func startRegistrar(t *testing.T, pw string) *sipd.Server {
	t.Helper()
	srv, stop, err := startRegistrarAlone(context.Background(), sipdtest.OnePassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	return srv
}

func deviceIDs(t *testing.T, first string, n int) []string {
	t.Helper()
	ids, err := fleetIDs(first, n)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// registerCase is a registration the lean client attempts, and whether it must fail.
type registerCase struct {
	id, password string
	wantErr      bool
}

// registerEach registers each case over one socket to addr and fails the test when an
// outcome differs from the case's.
func registerEach(t *testing.T, addr string, cases []registerCase) {
	t.Helper()
	c, err := dialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range cases {
		if err := c.register(tc.id, tc.password); (err != nil) != tc.wantErr {
			t.Errorf("register %s with %q: error %v, want error %v", tc.id, tc.password, err, tc.wantErr)
		}
	}
}

// TestRawRegister checks the lean client's digest answers against the real registrar:
// the right password registers, a wrong one is refused.
func TestRawRegister(t *testing.T) {
	srv := startRegistrar(t, "secret")
	cases := []registerCase{
		{"34020000001320000001", "secret", false},
		{"34020000001320000002", "not-the-secret", true},
	}
	registerEach(t, srv.UDPAddr(), cases)
	for _, tc := range cases {
		if registered := srv.Device(tc.id).Binding != nil; registered == tc.wantErr {
			t.Errorf("%s: registered %v, want %v", tc.id, registered, !tc.wantErr)
		}
	}
}

// TestKeepaliveLoad runs the keepalive load against the real registrar: keepalives of
// registered devices are all answered 200 and counted; those of unknown devices are
// counted as refused (404), not as answered.
func TestKeepaliveLoad(t *testing.T) {
	srv := startRegistrar(t, "secret")
	ids := deviceIDs(t, "34020000001320000001", 50)
	c, err := dialRaw(srv.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := c.register(id, "secret"); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()

	res, err := keepaliveLoad(context.Background(), srv.UDPAddr(), ids, 2, 16, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Answered200 == 0 || res.Lost != 0 || len(res.Refused) != 0 || res.Answered200 > res.Sent {
		t.Errorf("registered devices: %+v", res)
	}
	if got := srv.Device(ids[0]).Binding; got == nil || got.LastKeepalive.IsZero() {
		t.Errorf("keepalive not recorded by the registrar: %+v", got)
	}

	unknown := deviceIDs(t, "34020000001320009001", 5)
	res, err = keepaliveLoad(context.Background(), srv.UDPAddr(), unknown, 1, 4, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if res.Answered200 != 0 || res.Refused["404"] == 0 {
		t.Errorf("unregistered devices: %+v", res)
	}
}

// TestRegistrarHeap checks the in-process heap measurement runs and finds the bindings
// (the figure itself is machine-dependent and not asserted).
func TestRegistrarHeap(t *testing.T) {
	res, err := measureRegistrarHeap(context.Background(), 200, "34020000001320000001", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Bindings != 200 || res.HeapAfterBytes == 0 {
		t.Errorf("%+v", res)
	}
}
