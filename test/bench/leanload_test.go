package main

import (
	"context"
	"maps"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd"
)

// leanDevices is n devices from the bench's first ID, each with password.
func leanDevices(t *testing.T, n int, password string) []leanDevice {
	t.Helper()
	var out []leanDevice
	for _, id := range deviceIDs(t, firstDevice, n) {
		out = append(out, leanDevice{id: id, password: password})
	}
	return out
}

// TestLeanLoad runs the lean client against the real registrar: with the right
// password every call registers its device after one challenge; with a wrong one every
// call fails, refused (403) after its challenge.
func TestLeanLoad(t *testing.T) {
	tests := []struct {
		name           string
		password       string
		wantSuccessful int64
		wantAnswers    map[int]int64
	}{
		{"right password", "secret", 120, map[int]int64{401: 120, 200: 120}},
		{"wrong password", "not-the-secret", 0, map[int]int64{401: 120, 403: 120}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRegistrar(t, "secret")
			server := netip.MustParseAddrPort(srv.UDPAddr())
			devices := leanDevices(t, 40, tt.password)
			c, err := runLeanLoad(context.Background(), leanConfig{server: server, devices: devices, rate: 400, calls: 120, drain: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if c.Created != 120 || c.Successful != tt.wantSuccessful || c.Failed != 120-tt.wantSuccessful {
				t.Errorf("created %d, successful %d, failed %d; want 120, %d, %d", c.Created, c.Successful, c.Failed, tt.wantSuccessful, 120-tt.wantSuccessful)
			}
			if !maps.Equal(c.Answers, tt.wantAnswers) {
				t.Errorf("answers by code %v, want %v", c.Answers, tt.wantAnswers)
			}
			if c.Requests != 240 {
				t.Errorf("%d REGISTERs sent, want 240 (two a call)", c.Requests)
			}
			for _, d := range devices {
				if registered := srv.Device(d.id).Binding != nil; registered != (tt.wantSuccessful > 0) {
					t.Errorf("%s: registered %v", d.id, registered)
				}
			}
			if c.Seconds <= 0 {
				t.Errorf("seconds %v, want the time the calls took", c.Seconds)
			}
		})
	}
}

// TestLeanLoadRetransmits offers calls to a socket that reads and never answers: each
// first REGISTER is sent again after 500 ms, and the calls still unanswered when the
// drain runs out count as failed.
func TestLeanLoadRetransmits(t *testing.T) {
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	received := make(chan int, 1)
	go func() {
		n, buf := 0, make([]byte, 65536)
		for {
			_ = silent.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := silent.Read(buf); err != nil {
				received <- n
				return
			}
			n++
		}
	}()
	server := silent.LocalAddr().(*net.UDPAddr).AddrPort()
	c, err := runLeanLoad(context.Background(), leanConfig{server: server, devices: leanDevices(t, 5, "x"), rate: 100, calls: 5, drain: 1200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c.Created != 5 || c.Successful != 0 || c.Failed != 5 {
		t.Errorf("created %d, successful %d, failed %d; want 5, 0, 5", c.Created, c.Successful, c.Failed)
	}
	if c.Requests != 5 || c.Retransmissions < 5 {
		t.Errorf("%d requests, %d retransmissions; want 5 and at least one retransmission each", c.Requests, c.Retransmissions)
	}
	if n := <-received; int64(n) != c.Requests+c.Retransmissions {
		t.Errorf("the peer received %d datagrams, the client counted %d sent", n, c.Requests+c.Retransmissions)
	}
}

// TestLeanLoadAnswersQueries checks that the lean client answers the registrar's query
// as answer-queries.xml does: the registrar's DeviceInfo query of a device the load
// registered gets the client's answer.
func TestLeanLoadAnswersQueries(t *testing.T) {
	srv := startRegistrar(t, "secret")
	devices := leanDevices(t, 1, "secret")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan leanCounts, 1)
	go func() {
		// One registration a second for three seconds keeps the client listening after
		// the query.
		c, _ := runLeanLoad(ctx, leanConfig{server: netip.MustParseAddrPort(srv.UDPAddr()), devices: devices, rate: 1, calls: 3, drain: time.Second})
		done <- c
	}()
	ref := sipd.DeviceRef{ID: devices[0].id}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Device(ref.ID).Binding == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
	defer qcancel()
	info, err := srv.QueryDeviceInfo(qctx, ref)
	if err != nil {
		t.Fatalf("DeviceInfo query: %v", err)
	}
	if info.Manufacturer != answeringManufacturer {
		t.Errorf("DeviceInfo answered with manufacturer %q, want %q", info.Manufacturer, answeringManufacturer)
	}
	c := <-done
	if c.Queries < 1 || c.QueryAnswersAccepted < 1 {
		t.Errorf("%d queries answered, %d answers accepted; want at least one of each", c.Queries, c.QueryAnswersAccepted)
	}
}

// TestReadSippDevices reads back the devices and passwords writeSippDevices writes.
func TestReadSippDevices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.csv")
	ids := deviceIDs(t, firstDevice, 3)
	if err := writeSippDevices(path, ids, comparePassword); err != nil {
		t.Fatal(err)
	}
	got, err := readSippDevices(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("read %d devices, want %d", len(got), len(ids))
	}
	for i, d := range got {
		if d.id != ids[i] || d.password != comparePassword(ids[i]) {
			t.Errorf("device %d: %+v, want %s with %s", i, d, ids[i], comparePassword(ids[i]))
		}
	}
}
