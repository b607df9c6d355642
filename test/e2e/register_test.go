package e2e

import (
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/gbid"
)

// testRegister: an IPC over UDP whose bodies are GB2312 and an NVR over TCP whose
// 50-channel catalog arrives in three MESSAGEs of UTF-8 register; their Cameras turn
// Ready with the registration, the device info and every channel exactly as the devices
// sent them; each unregisters on SIGINT and its Camera turns Unregistered.
func testRegister(t *testing.T, e *env) {
	const ns, password = "e2e-register", "e2e-Pa55word"
	tests := []struct {
		camera, id, transport, charset string
		channels                       int
	}{
		{camera: "lobby-ipc", id: "34020000001320000001", transport: "udp", charset: "gb2312"},
		{camera: "yard-nvr", id: "34020000001180000001", transport: "tcp", charset: "utf-8", channels: 50},
	}
	manifest := namespace(ns) + secret(ns, "creds", password)
	for _, tc := range tests {
		manifest += camera(cameraSpec{ns: ns, name: tc.camera, deviceID: tc.id, secret: "creds"})
	}
	e.apply(t, manifest)
	if got := e.jsonpath(t, ns, "camera/lobby-ipc", "{.status.state}"); got != "" && got != string(gbv1.StatePending) {
		t.Fatalf("state before any device registered: %q, want Pending", got)
	}

	sims := make([]*devices, len(tests))
	for i, tc := range tests {
		sims[i] = e.startCamsim(t, tc.camera,
			"--id", tc.id, "--password", password, "--transport", tc.transport,
			"--charset", tc.charset, "--channels", strconv.Itoa(tc.channels), "--catalog-page", "20")
	}
	e.wait(t, ns, "condition=Ready", 90*time.Second, "camera/lobby-ipc", "camera/yard-nvr")
	for i, tc := range tests {
		want := expectedDevice(t, e, tc.id, tc.channels, tc.charset)
		// The catalog is written after the registration: wait for all of it.
		e.wait(t, ns, "jsonpath={.status.channelCount}="+strconv.Itoa(len(want.catalog)), 60*time.Second, "camera/"+tc.camera)
		if got := e.jsonpath(t, ns, "camera/"+tc.camera, "{.status.state}"); got != string(gbv1.StateRegistered) {
			t.Errorf("%s: state %q, want Registered", tc.camera, got)
		}
		checkRegistered(t, e.camera(t, ns, tc.camera), tc.transport, want)
		if p := sims[i].progress(); p.Failed != 0 || p.KeepalivesFailed != 0 {
			t.Errorf("%s: camsim reports failures: %+v", tc.camera, p)
		}
	}

	for i, tc := range tests {
		s := sims[i].interrupt(t)
		if s.Unregistered != 1 || s.UnregisterFailed != 0 || s.Failed != 0 || s.KeepalivesFailed != 0 {
			t.Errorf("%s: camsim summary: %s", tc.camera, summaryString(s))
		}
		e.wait(t, ns, "jsonpath={.status.state}=Unregistered", 30*time.Second, "camera/"+tc.camera)
		if got := e.condition(t, ns, tc.camera, gbv1.ConditionRegistered); got != "False/"+gbv1.ReasonUnregistered {
			t.Errorf("%s: Registered condition %s after unregistering, want False/Unregistered", tc.camera, got)
		}
		if got := e.condition(t, ns, tc.camera, gbv1.ConditionReady); !strings.HasPrefix(got, "False/") {
			t.Errorf("%s: Ready condition %s after unregistering, want False", tc.camera, got)
		}
	}
}

// expected is what a simulated device reports of itself.
type expected struct {
	info    gbv1.DeviceInfo
	catalog []gbv1.Channel // sorted by ID, as the status keeps them
}

// expectedDevice asks camsim's own device model what the device with this ID answers,
// so the test compares the status with what went over the wire, not with a copy of it.
func expectedDevice(t *testing.T, e *env, id string, channels int, charset string) expected {
	t.Helper()
	// The model opens a socket but sends nothing.
	d, err := sim.NewDevice(sim.Config{ID: id, Channels: channels, Charset: charset, Server: e.sipAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	info := d.Info()
	want := expected{info: gbv1.DeviceInfo{
		Name: info.DeviceName, Manufacturer: info.Manufacturer, Model: info.Model,
		Firmware: info.Firmware, ChannelCount: int32(info.Channel),
	}}
	for _, c := range d.Catalog() {
		want.catalog = append(want.catalog, gbv1.Channel{
			ID: c.DeviceID, Name: c.Name, Status: c.Status, Manufacturer: c.Manufacturer,
			Model: c.Model, ParentID: c.ParentID, CivilCode: c.CivilCode, Address: c.Address,
		})
	}
	sortChannels(want.catalog)
	return want
}

// checkRegistered checks the status of a Camera whose device registered from loopback
// over transport and answered the queries with want.
func checkRegistered(t *testing.T, c gbv1.Camera, transport string, want expected) {
	t.Helper()
	st := c.Status
	if st.DeviceType != gbid.DeviceType(c.Spec.DeviceID) || st.DeviceType == "" {
		t.Errorf("%s: deviceType %q, want %q", c.Name, st.DeviceType, gbid.DeviceType(c.Spec.DeviceID))
	}
	if st.ObservedGeneration != c.Generation {
		t.Errorf("%s: observedGeneration %d, generation %d", c.Name, st.ObservedGeneration, c.Generation)
	}
	reg := st.Registration
	switch {
	case reg == nil:
		t.Fatalf("%s: no status.registration", c.Name)
	case string(reg.Transport) != map[string]string{"udp": "UDP", "tcp": "TCP"}[transport]:
		t.Errorf("%s: transport %q, want %s", c.Name, reg.Transport, transport)
	case reg.UserAgent != "camsim":
		t.Errorf("%s: userAgent %q, want camsim", c.Name, reg.UserAgent)
	case reg.Expires <= 0 || !reg.ExpiresAt.After(time.Now()):
		t.Errorf("%s: registration expires %d at %s: not live", c.Name, reg.Expires, reg.ExpiresAt)
	}
	if host, _, err := net.SplitHostPort(reg.RemoteAddr); err != nil || host != "127.0.0.1" {
		t.Errorf("%s: remoteAddr %q, want 127.0.0.1:<port>", c.Name, reg.RemoteAddr)
	}
	if st.DeviceInfo == nil || *st.DeviceInfo != want.info {
		t.Errorf("%s: deviceInfo %+v, want %+v", c.Name, st.DeviceInfo, want.info)
	}
	if int(st.ChannelCount) != len(want.catalog) || len(st.Channels) != len(want.catalog) {
		t.Fatalf("%s: channelCount %d with %d channels, want %d", c.Name, st.ChannelCount, len(st.Channels), len(want.catalog))
	}
	for i, ch := range st.Channels {
		if !reflect.DeepEqual(ch, want.catalog[i]) {
			t.Errorf("%s: channel %d is %+v, want %+v", c.Name, i, ch, want.catalog[i])
		}
	}
	if st.CatalogUpdatedAt == nil {
		t.Errorf("%s: no catalogUpdatedAt", c.Name)
	}
}

func sortChannels(chs []gbv1.Channel) {
	sort.Slice(chs, func(i, j int) bool { return chs[i].ID < chs[j].ID })
}
