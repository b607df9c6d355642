package sipdtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestStoreLookup(t *testing.T) {
	s := sipdtest.NewStore(map[string]string{"34020000001320000001": "pw"})
	s.Set("34020000001320000002", sipd.Credentials{Password: "pw2", Suspended: true})
	tests := []struct {
		id      string
		want    sipd.Credentials
		wantErr error
	}{
		{"34020000001320000001", sipd.Credentials{Password: "pw"}, nil},
		{"34020000001320000002", sipd.Credentials{Password: "pw2", Suspended: true}, nil},
		{"34020000001320000003", sipd.Credentials{}, sipd.ErrUnknownDevice},
	}
	for _, tt := range tests {
		got, err := s.LookupCredentials(tt.id)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("LookupCredentials(%s) = %+v, %v; want %+v, %v", tt.id, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestStartTRegistersADevice starts a registrar with StartT and registers a real
// simulated device against it over each transport: the helper gives a working registrar.
func TestStartTRegistersADevice(t *testing.T) {
	const id = "34020000001320000001"
	store := sipdtest.NewStore(nil)
	srv := sipdtest.StartT(t, sipd.Config{}, store)
	store.SetPassword(id, "pw")
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			d, err := sim.NewDevice(sim.Config{ID: id, Password: "pw", Server: sipdtest.Addr(srv, transport), Transport: transport})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := d.Register(ctx); err != nil {
				t.Fatalf("register over %s: %v", transport, err)
			}
			if b := srv.Device(id).Binding; b == nil || !strings.EqualFold(b.Transport, transport) {
				t.Errorf("binding after registering over %s: %+v", transport, b)
			}
		})
	}
}
