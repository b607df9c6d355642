package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestFleetTakesConfigAndReboot: devices of a fleet sharing one socket take controls
// each for itself, and the fleet's schedule follows them: the device given a one-second
// heartbeat keeps alive every second at once while the others keep their hourly one,
// and the device told to reboot unregisters and comes back after the delay.
func TestFleetTakesConfigAndReboot(t *testing.T) {
	p := newGBPlatform(t)
	fleet, err := sim.NewFleet(sim.FleetConfig{
		Device: sim.Config{ID: "34020000001320000001", Server: p.addr(), LocalIP: "127.0.0.1", KeepaliveInterval: time.Hour,
			RequestTimeout: 2 * time.Second, Control: sim.ControlConfig{RebootDelay: 700 * time.Millisecond}, Logger: quiet()},
		Count: 3, Endpoints: 1, Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		fleet.Run(ctx, 5*time.Second)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	for range 3 {
		p.expect("REGISTER", 5*time.Second, isMethod(sip.REGISTER))
	}
	devs := fleet.Devices()

	sn := p.nextSN()
	body, _ := manscdp.EncodeDeviceConfig(sn, devs[1].ID(), manscdp.BasicConfig{HeartBeatInterval: 1})
	if m := p.ask(devs[1], devs[1].ID(), sn, "DeviceConfig", body); m.Result != "OK" {
		t.Fatalf("DeviceConfig answered %q", m.Result)
	}
	keepaliveOf := func(id string) func(inbound) bool {
		return func(in inbound) bool {
			return isMessageNotify("Keepalive")(in) && in.msg.DeviceID == id
		}
	}
	first := p.expect("keepalive of the reconfigured device", 3*time.Second, keepaliveOf(devs[1].ID()))
	second := p.expect("its next keepalive", 3*time.Second, keepaliveOf(devs[1].ID()))
	if gap := second.at.Sub(first.at); gap < 500*time.Millisecond || gap > 2500*time.Millisecond {
		t.Errorf("keepalives %v apart, want 1s", gap)
	}
	for _, d := range []*sim.Device{devs[0], devs[2]} {
		p.expectNone("keepalive of a device not reconfigured", 0, keepaliveOf(d.ID()))
	}

	if r := p.control(devs[2], devs[2].ID(), manscdp.TeleBoot{}); r != "OK" {
		t.Fatalf("TeleBoot answered %q", r)
	}
	fromDevice := func(id string) func(inbound) bool {
		return func(in inbound) bool { return in.req.Method == sip.REGISTER && in.req.From().Address.User == id }
	}
	gone := p.expect("unregistration", 3*time.Second, fromDevice(devs[2].ID()))
	if headerOf(gone.req, "Expires") != "0" {
		t.Fatalf("REGISTER with Expires %q, want 0", headerOf(gone.req, "Expires"))
	}
	back := p.expect("registration after the reboot", 5*time.Second, fromDevice(devs[2].ID()))
	if d := back.at.Sub(gone.at); d < 500*time.Millisecond || headerOf(back.req, "Expires") == "0" {
		t.Errorf("back after %v with Expires %q, want a registration after the 700ms delay", d, headerOf(back.req, "Expires"))
	}
	p.expectNone("REGISTER of another device", 0, fromDevice(devs[0].ID()))
}
