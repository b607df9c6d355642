package sim_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestDeviceStatus: a DeviceStatus query gets the 200, then a Response that says the
// device is online and working, encoding, not recording, its clock (the registrar's, to
// the second), and every channel's alarm input OFFDUTY; arming and recording by hand
// show in the next answer.
func TestDeviceStatus(t *testing.T) {
	p := newGBPlatform(t)
	const nvr = "34020000001180000001"
	dev := newPlatformDevice(t, p, sim.Config{ID: nvr, Channels: 3})
	status := func() *manscdp.DeviceStatus {
		t.Helper()
		sn := p.nextSN()
		m := p.ask(dev, nvr, sn, "DeviceStatus", manscdp.EncodeDeviceStatusQuery(sn, nvr))
		if m.DeviceStatus == nil {
			t.Fatal("DeviceStatus answer without a status")
		}
		return m.DeviceStatus
	}
	st := status()
	if st.Result != "OK" || st.Online != manscdp.Online || st.Status != manscdp.StatusOK || st.Encode != manscdp.On || st.Record != manscdp.Off {
		t.Errorf("status %+v", st)
	}
	clock, err := manscdp.ParseTime(st.DeviceTime, sim.ChinaStandardTime)
	if err != nil || time.Since(clock).Abs() > 2*time.Second {
		t.Errorf("DeviceTime %q (%v) is not now in China Standard Time", st.DeviceTime, err)
	}
	if len(st.Alarms) != 3 {
		t.Fatalf("%d alarm inputs, want one per channel: %+v", len(st.Alarms), st.Alarms)
	}
	for i, a := range st.Alarms {
		if a.DeviceID != sim.ChannelID(nvr, 3, i) || a.DutyStatus != manscdp.DutyOff {
			t.Errorf("alarm input %d = %+v, want channel %s OFFDUTY", i, a, sim.ChannelID(nvr, 3, i))
		}
	}

	if r := p.control(dev, nvr, manscdp.GuardSet); r != "OK" {
		t.Fatalf("GuardCmd answered %q", r)
	}
	if r := p.control(dev, nvr, manscdp.RecordStart); r != "OK" {
		t.Fatalf("RecordCmd answered %q", r)
	}
	st = status()
	if st.Record != manscdp.On {
		t.Errorf("Record %q after RecordCmd Record, want ON", st.Record)
	}
	for _, a := range st.Alarms {
		if a.DutyStatus != manscdp.DutyOn {
			t.Errorf("%s is %s after SetGuard, want ONDUTY", a.DeviceID, a.DutyStatus)
		}
	}
}

// TestDeviceStatusClockSkew: a device with ClockSkew answers DeviceStatus with its clock
// that far off the registrar's.
func TestDeviceStatusClockSkew(t *testing.T) {
	p := newGBPlatform(t)
	const skew = -90 * time.Second
	dev := newPlatformDevice(t, p, sim.Config{ClockSkew: skew})
	sn := p.nextSN()
	m := p.ask(dev, dev.ID(), sn, "DeviceStatus", manscdp.EncodeDeviceStatusQuery(sn, dev.ID()))
	if m.DeviceStatus == nil {
		t.Fatal("DeviceStatus answer without a status")
	}
	clock, err := manscdp.ParseTime(m.DeviceStatus.DeviceTime, sim.ChinaStandardTime)
	if err != nil {
		t.Fatal(err)
	}
	if off := time.Until(clock); (off - skew).Abs() > 2*time.Second {
		t.Errorf("DeviceTime %q is %v off this machine's clock, want %v", m.DeviceStatus.DeviceTime, off, skew)
	}
}

// TestConfigDownload: the BasicParam answer carries the device's own settings.
func TestConfigDownload(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{KeepaliveInterval: 45 * time.Second, KeepaliveMaxMiss: 4, Expires: 2 * time.Hour})
	sn := p.nextSN()
	body, err := manscdp.EncodeConfigDownloadQuery(sn, dev.ID(), manscdp.ConfigBasicParam)
	if err != nil {
		t.Fatal(err)
	}
	m := p.ask(dev, dev.ID(), sn, "ConfigDownload", body)
	bp := m.BasicParam
	if m.Result != "OK" || bp == nil {
		t.Fatalf("answer %+v", m)
	}
	if bp.HeartBeatInterval != 45 || bp.HeartBeatCount != 4 || bp.Expiration != 7200 || bp.Name != dev.Info().DeviceName ||
		bp.SIPServerID != sim.DefaultServerID || bp.DeviceID != dev.ID() {
		t.Errorf("BasicParam %+v", *bp)
	}

	sn = p.nextSN()
	body, _ = manscdp.EncodeConfigDownloadQuery(sn, dev.ID(), manscdp.ConfigVideoParamOpt)
	if m := p.ask(dev, dev.ID(), sn, "ConfigDownload", body); m.Result != "ERROR" {
		t.Errorf("a block not simulated answered %q, want ERROR", m.Result)
	}
}

// TestDeviceConfigSetsKeepalive: a DeviceConfig's heartbeat settings take over the
// device's own schedule at once: a device keeping alive hourly starts every second, and
// ConfigDownload reads the new values back.
func TestDeviceConfigSetsKeepalive(t *testing.T) {
	p := newGBPlatform(t)
	dev := newDevice(t, sim.Config{ID: "34020000001320000001", Server: p.addr(), LocalIP: "127.0.0.1", KeepaliveInterval: time.Hour})
	runInBackground(t, dev)
	p.expect("REGISTER", 5*time.Second, isMethod(sip.REGISTER))
	keepalive := isMessageNotify("Keepalive")
	p.expectNone("keepalive of an hourly schedule", 300*time.Millisecond, keepalive)

	sn := p.nextSN()
	body, err := manscdp.EncodeDeviceConfig(sn, dev.ID(), manscdp.BasicConfig{HeartBeatInterval: 1, HeartBeatCount: 5, Name: "新名字"})
	if err != nil {
		t.Fatal(err)
	}
	if m := p.ask(dev, dev.ID(), sn, "DeviceConfig", body); m.Result != "OK" {
		t.Fatalf("DeviceConfig answered %q", m.Result)
	}
	first := p.expect("keepalive after the new interval", 3*time.Second, keepalive)
	second := p.expect("second keepalive", 3*time.Second, keepalive)
	if gap := second.at.Sub(first.at); gap < 500*time.Millisecond || gap > 2500*time.Millisecond {
		t.Errorf("keepalives %v apart, want the configured 1s", gap)
	}
	if st := dev.State(); st.KeepaliveInterval != time.Second || st.KeepaliveMaxMiss != 5 || dev.Info().DeviceName != "新名字" {
		t.Errorf("state %+v, name %q", st, dev.Info().DeviceName)
	}
}

// TestDeviceConfigRebootsWithoutAnswer: with RebootOnConfig the device answers the
// MESSAGE's 200 and nothing more, goes quiet, and registers again with a new Call-ID.
func TestDeviceConfigRebootsWithoutAnswer(t *testing.T) {
	p := newGBPlatform(t)
	dev := newDevice(t, sim.Config{ID: "34020000001320000001", Server: p.addr(), LocalIP: "127.0.0.1",
		Control: sim.ControlConfig{RebootOnConfig: true, RebootDelay: 500 * time.Millisecond}})
	runInBackground(t, dev)
	first := p.expect("REGISTER", 5*time.Second, isMethod(sip.REGISTER))

	sn := p.nextSN()
	body, _ := manscdp.EncodeDeviceConfig(sn, dev.ID(), manscdp.BasicConfig{HeartBeatInterval: 30})
	sent := time.Now()
	if res := p.message(dev, dev.ID(), body); res.StatusCode != sip.StatusOK {
		t.Fatalf("DeviceConfig MESSAGE answered %d", res.StatusCode)
	}
	again := p.expect("REGISTER after the reboot", 5*time.Second, isMethod(sip.REGISTER))
	if again.at.Sub(sent) < 400*time.Millisecond {
		t.Errorf("registered again %v after the DeviceConfig, before the reboot delay", again.at.Sub(sent))
	}
	if again.req.CallID().Value() == first.req.CallID().Value() {
		t.Error("the rebooted device registers on its old Call-ID")
	}
	if exp := headerOf(again.req, "Expires"); exp == "0" {
		t.Error("the device that reboots without a word unregistered")
	}
	p.expectNone("DeviceConfig Response", 200*time.Millisecond, isResponse("DeviceConfig", sn))
	if dev.KeepaliveInterval() != 30*time.Second {
		t.Errorf("keepalive interval %v, want the configured 30s applied before the reboot", dev.KeepaliveInterval())
	}
}

// TestDeviceConfigIgnored: with IgnoreConfig the device answers a DeviceConfig OK and
// keeps its settings.
func TestDeviceConfigIgnored(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{KeepaliveInterval: 45 * time.Second, Control: sim.ControlConfig{IgnoreConfig: true}})
	sn := p.nextSN()
	body, _ := manscdp.EncodeDeviceConfig(sn, dev.ID(), manscdp.BasicConfig{HeartBeatInterval: 5, HeartBeatCount: 2})
	if m := p.ask(dev, dev.ID(), sn, "DeviceConfig", body); m.Result != "OK" {
		t.Fatalf("DeviceConfig answered %q", m.Result)
	}
	if st := dev.State(); st.KeepaliveInterval != 45*time.Second || st.KeepaliveMaxMiss != 3 {
		t.Errorf("settings %v x %d after an ignored DeviceConfig, want 45s x 3", st.KeepaliveInterval, st.KeepaliveMaxMiss)
	}
}

// TestTeleBoot: TeleBoot is answered OK, then the device unregisters, is deaf for the
// reboot delay, and registers again.
func TestTeleBoot(t *testing.T) {
	p := newGBPlatform(t)
	dev := newDevice(t, sim.Config{ID: "34020000001320000001", Server: p.addr(), LocalIP: "127.0.0.1", RequestTimeout: 2 * time.Second,
		Control: sim.ControlConfig{RebootDelay: time.Second}})
	runInBackground(t, dev)
	p.expect("REGISTER", 5*time.Second, isMethod(sip.REGISTER))

	if r := p.control(dev, dev.ID(), manscdp.TeleBoot{}); r != "OK" {
		t.Fatalf("TeleBoot answered %q", r)
	}
	bye := p.expect("unregistration", 3*time.Second, isMethod(sip.REGISTER))
	if headerOf(bye.req, "Expires") != "0" {
		t.Fatalf("REGISTER with Expires %q after TeleBoot, want 0", headerOf(bye.req, "Expires"))
	}
	// Deaf while booting: a query gets no answer at all.
	req := p.newRequest(sip.MESSAGE, dev, dev.ID(), newCallID(), "deaf", "", 1)
	if _, err := p.tryDo(withBody(req, "Application/MANSCDP+xml", manscdp.EncodeDeviceStatusQuery(p.nextSN(), dev.ID())), 300*time.Millisecond); err == nil {
		t.Error("a rebooting device answered a query")
	}
	back := p.expect("registration after the reboot", 5*time.Second, isMethod(sip.REGISTER))
	if d := back.at.Sub(bye.at); d < 800*time.Millisecond {
		t.Errorf("back after %v, want the 1s reboot delay", d)
	}
	if headerOf(back.req, "Expires") == "0" {
		t.Error("the second REGISTER after TeleBoot is an unregistration too")
	}
	testutil.EventuallyTrue(t, 2*time.Second, "registered again", dev.Registered)
	if dev.LastCommand() != "TeleBoot" {
		t.Errorf("last command %q", dev.LastCommand())
	}
}

// TestPTZMovesAtItsSpeed: a move at pan speed 32 for two seconds turns the camera by
// about 64 units and a stop holds it there; tilt and zoom move by their own speeds.
func TestPTZMovesAtItsSpeed(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	ch := dev.ID()
	sent := time.Now()
	if r := p.ptz(dev, ch, manscdp.PTZMove{Pan: 32, Tilt: -10, Zoom: 2}); r != "OK" {
		t.Fatalf("PTZ move answered %q", r)
	}
	start := time.Now()
	if st := dev.PTZ(ch); !st.Moving() || st.Velocity != (sim.PTZPosition{Pan: 32, Tilt: -10, Zoom: 2}) {
		t.Fatalf("after the move command: %+v", st)
	}
	time.Sleep(2*time.Second - time.Since(start))
	if r := p.ptz(dev, ch, manscdp.PTZMove{}); r != "OK" {
		t.Fatalf("PTZ stop answered %q", r)
	}
	bound := time.Since(sent)
	st := dev.PTZ(ch)
	if st.Moving() {
		t.Fatalf("still moving after the stop: %+v", st)
	}
	// The motion is on record as the device saw it: its speeds, and a time between the
	// two seconds slept and the time from the move's sending to the stop's answer.
	if len(st.Motions) != 1 {
		t.Fatalf("motions %+v, want the one move", st.Motions)
	}
	m := st.Motions[0]
	if m.Velocity != (sim.PTZPosition{Pan: 32, Tilt: -10, Zoom: 2}) || m.Duration < 2*time.Second || m.Duration > bound {
		t.Errorf("motion %+v, want pan 32, tilt -10, zoom 2 for 2s to %v", m, bound)
	}
	// Each axis turned by its speed times that time.
	for _, axis := range []struct {
		name       string
		got, speed float64
	}{{"pan", st.Pan, 32}, {"tilt", st.Tilt, -10}, {"zoom", st.Zoom, 2}} {
		if want := axis.speed * m.Duration.Seconds(); math.Abs(axis.got-want) > 0.01 {
			t.Errorf("%s = %.3f after %v at speed %v, want %.3f", axis.name, axis.got, m.Duration, axis.speed, want)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if later := dev.PTZ(ch); later.PTZPosition != st.PTZPosition {
		t.Errorf("position changed after the stop: %+v then %+v", st.PTZPosition, later.PTZPosition)
	}
	if dev.LastCommand() != "PTZ stop" {
		t.Errorf("last command %q", dev.LastCommand())
	}
}

// TestPresets: a preset stores the position, going to it moves back there, PresetQuery
// lists the presets, deleting one removes it, and going to a deleted one is an ERROR.
func TestPresets(t *testing.T) {
	p := newGBPlatform(t)
	const nvr = "34020000001180000001"
	dev := newPlatformDevice(t, p, sim.Config{ID: nvr, Channels: 2})
	ch := sim.ChannelID(nvr, 2, 1)
	presets := func() []manscdp.Preset {
		t.Helper()
		sn := p.nextSN()
		m := p.ask(dev, ch, sn, "PresetQuery", manscdp.EncodePresetQuery(sn, ch))
		if m.Presets == nil {
			return nil
		}
		return m.Presets.Items
	}
	if got := presets(); len(got) != 0 {
		t.Fatalf("presets before any was set: %+v", got)
	}
	p.ptz(dev, ch, manscdp.PTZMove{Pan: 100})
	time.Sleep(200 * time.Millisecond)
	p.ptz(dev, ch, manscdp.PTZMove{})
	stored := dev.PTZ(ch).PTZPosition
	if r := p.ptz(dev, ch, manscdp.PresetSet{Index: 3}); r != "OK" {
		t.Fatalf("PresetSet answered %q", r)
	}
	p.ptz(dev, ch, manscdp.PTZMove{Pan: -100, Tilt: 50})
	time.Sleep(200 * time.Millisecond)
	p.ptz(dev, ch, manscdp.PTZMove{})
	if dev.PTZ(ch).PTZPosition == stored {
		t.Fatal("the camera did not move away")
	}
	if r := p.ptz(dev, ch, manscdp.PresetGoto{Index: 3}); r != "OK" {
		t.Fatalf("PresetGoto answered %q", r)
	}
	if got := dev.PTZ(ch).PTZPosition; got != stored {
		t.Errorf("at %+v after going to preset 3, stored at %+v", got, stored)
	}
	if got := presets(); len(got) != 1 || got[0].ID != 3 || got[0].Name == "" {
		t.Errorf("presets %+v, want preset 3", got)
	}
	if other := dev.PTZ(sim.ChannelID(nvr, 2, 0)); other.Pan != 0 || len(other.Presets) != 0 {
		t.Errorf("the other channel moved: %+v", other)
	}
	if r := p.ptz(dev, ch, manscdp.PresetDelete{Index: 3}); r != "OK" {
		t.Fatalf("PresetDelete answered %q", r)
	}
	if got := presets(); len(got) != 0 {
		t.Errorf("presets after deleting: %+v", got)
	}
	if r := p.ptz(dev, ch, manscdp.PresetGoto{Index: 3}); r != "ERROR" {
		t.Errorf("going to a deleted preset answered %q, want ERROR", r)
	}
}

// TestControlApplyDelay: a device with ApplyDelay answers a DeviceControl's MESSAGE
// with a 200 before it stores the preset, as many real devices do: right after the 200
// the channel has none; the Result OK comes once it is stored, ApplyDelay after.
func TestControlApplyDelay(t *testing.T) {
	p := newGBPlatform(t)
	const ipc = "34020000001320000001"
	const delay = 2 * time.Second
	dev := newPlatformDevice(t, p, sim.Config{ID: ipc, Control: sim.ControlConfig{ApplyDelay: delay}})
	sn := p.nextSN()
	body, err := manscdp.EncodeDeviceControl(sn, ipc, manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PresetSet{Index: 4})})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if res := p.message(dev, ipc, body); res.StatusCode != sip.StatusOK {
		t.Fatalf("DeviceControl MESSAGE answered %d", res.StatusCode)
	}
	if presets := dev.PTZ(ipc).Presets; len(presets) != 0 && time.Since(sent) < delay {
		t.Fatalf("presets %v right after the 200, want none before ApplyDelay", presets)
	}
	if r := p.expect("DeviceControl Response", 5*time.Second+delay, isResponse("DeviceControl", sn)).msg.Result; r != "OK" {
		t.Fatalf("Result %q, want OK", r)
	}
	if since := time.Since(sent); since < delay {
		t.Errorf("Result after %v, want ApplyDelay (%v) at least", since, delay)
	}
	if presets := dev.PTZ(ipc).Presets; len(presets) != 1 {
		t.Errorf("presets %v once answered, want preset 4", presets)
	}
}

// TestDeviceControls: every other DeviceControl command gets Result OK and changes the
// state it names; a control for a channel the device lacks gets ERROR.
func TestDeviceControls(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	id := dev.ID()
	// The platform helper fails the test itself, so the cases run in the test, not in
	// subtests.
	tests := []struct {
		name  string
		cmd   manscdp.ControlCommand
		check func(t *testing.T)
	}{
		{"cruise start", manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.CruiseStart{Group: 1})}, func(t *testing.T) {
			if tour := dev.PTZ(id).Tour; tour != "cruise 1" {
				t.Errorf("tour %q", tour)
			}
		}},
		{"scan start", manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.ScanStart{Group: 2})}, func(t *testing.T) {
			if tour := dev.PTZ(id).Tour; tour != "scan 2" {
				t.Errorf("tour %q", tour)
			}
		}},
		{"stop ends the scan", manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PTZMove{})}, func(t *testing.T) {
			if tour := dev.PTZ(id).Tour; tour != "" {
				t.Errorf("tour %q after a stop", tour)
			}
		}},
		{"record", manscdp.RecordStart, func(t *testing.T) {
			if !dev.Recording() {
				t.Error("not recording")
			}
		}},
		{"stop recording", manscdp.RecordStop, func(t *testing.T) {
			if dev.Recording() {
				t.Error("still recording")
			}
		}},
		{"arm", manscdp.GuardSet, func(t *testing.T) {
			if !dev.Armed() {
				t.Error("not armed")
			}
		}},
		{"disarm", manscdp.GuardReset, func(t *testing.T) {
			if dev.Armed() {
				t.Error("still armed")
			}
		}},
		{"reset alarm", manscdp.ResetAlarm{}, nil},
		{"key frame", manscdp.ForceIFrame{}, nil},
		{"home position", manscdp.HomePosition{Enabled: true, ResetTime: 30, PresetIndex: 2}, func(t *testing.T) {
			if h := dev.PTZ(id).Home; h == nil || h.PresetIndex != 2 || h.ResetTime != 30 || !h.Enabled {
				t.Errorf("home %+v", h)
			}
		}},
		{"drag zoom in", manscdp.DragZoom{Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 480, LengthY: 270}, func(t *testing.T) {
			if z := dev.PTZ(id).Zoom; z != 1 {
				t.Errorf("zoom %v, want 1", z)
			}
		}},
		{"drag zoom out", manscdp.DragZoom{Out: true, Length: 1920, Width: 1080, MidPointX: 960, MidPointY: 540, LengthX: 480, LengthY: 270}, func(t *testing.T) {
			if z := dev.PTZ(id).Zoom; z != 0 {
				t.Errorf("zoom %v, want 0", z)
			}
		}},
	}
	for _, tt := range tests {
		if r := p.control(dev, id, tt.cmd); r != "OK" {
			t.Fatalf("%s answered %q", tt.name, r)
		}
		if tt.check != nil {
			tt.check(t)
		}
		if dev.LastCommand() == "" {
			t.Errorf("%s: no last command", tt.name)
		}
	}

	// Sent to the device, for a channel it lacks.
	sn := p.nextSN()
	body, _ := manscdp.EncodeDeviceControl(sn, "34020000001310009999", manscdp.GuardSet)
	if r := p.ask(dev, id, sn, "DeviceControl", body).Result; r != "ERROR" {
		t.Errorf("a control for an unknown channel answered %q, want ERROR", r)
	}
	if dev.Armed() {
		t.Error("armed by a control for another channel")
	}
}

// TestOnStateReportsChanges: the OnState hook sees each control's outcome.
func TestOnStateReportsChanges(t *testing.T) {
	p := newGBPlatform(t)
	states := make(chan sim.DeviceState, 16)
	dev := newPlatformDevice(t, p, sim.Config{OnState: func(s sim.DeviceState) { states <- s }})
	p.ptz(dev, dev.ID(), manscdp.PTZMove{Pan: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	select {
	case s := <-states:
		if s.ID != dev.ID() || s.LastCommand != "PTZ move pan 5 tilt 0 zoom 0" || math.Abs(s.PTZ[dev.ID()].Velocity.Pan-5) > 0 {
			t.Errorf("state %+v", s)
		}
	case <-ctx.Done():
		t.Fatal("no state reported")
	}
}
