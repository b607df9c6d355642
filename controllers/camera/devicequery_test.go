package camera

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The detail record's decisions, as pure state: what a job asks, and when nothing is
// asked again, whatever the device answers.

func enabledWant() detailWant { return detailWant{enabled: true, generation: 1} }

// TestDetailsOncePerRegistration: a registration's first job asks everything; what the
// device never answered is not asked again in that registration, refresh or not; a new
// registration asks it all again.
func TestDetailsOncePerRegistration(t *testing.T) {
	var d detailState
	d.remember(enabledWant())
	d.newRegistration()
	if !d.due() {
		t.Fatal("a new registration's details are not due")
	}
	j := d.job(true, &manscdp.Catalog{Items: items(2)}, 16)
	if !j.status || !j.basic || !j.askPresets || len(j.presets) != 2 {
		t.Fatalf("first job %+v, want status, basic settings and the presets of both channels", j)
	}
	d.record(j, detailAnswers{status: taskDone, basic: taskSilent, presets: taskSilent})
	if d.due() {
		t.Error("details due again after the device answered or stayed silent")
	}
	refresh := d.job(true, &manscdp.Catalog{Items: items(2)}, 16)
	if !refresh.status || refresh.basic || refresh.askPresets {
		t.Errorf("refresh job %+v, want DeviceStatus only", refresh)
	}
	d.record(refresh, detailAnswers{status: taskSilent})
	if again := d.job(true, nil, 16); !again.empty() {
		t.Errorf("job after DeviceStatus went unanswered %+v, want nothing", again)
	}

	d.newRegistration()
	if j := d.job(true, nil, 16); !j.status || !j.basic || !j.askPresets {
		t.Errorf("job of the next registration %+v, want everything again", j)
	}
}

// TestDetailsNotSentWaitForTheRefresh: a request the registrar could not send (its
// bounds) is not due at once, which would loop, but goes with the next refresh.
func TestDetailsNotSentWaitForTheRefresh(t *testing.T) {
	var d detailState
	d.remember(enabledWant())
	j := d.job(true, nil, 16)
	d.record(j, detailAnswers{status: taskStateOf(sipd.ErrTooManyQueries), basic: taskStateOf(fmt.Errorf("x: %w", sipd.ErrTooManyQueries)), presets: taskDone})
	if d.due() {
		t.Fatal("a request not sent is due at once")
	}
	if j := d.job(false, nil, 16); j.basic {
		t.Error("a detail-only job retries what was not sent")
	}
	if j := d.job(true, nil, 16); !j.basic || !j.status {
		t.Errorf("refresh job %+v, want the settings asked again", j)
	}
}

// TestDetailsConfigureOncePerSettings: after settings failed, later registrations
// check them again (to see whether the device took them) but decideConfigure writes
// them no more; a spec change checks at once; a status that says they failed stands
// for the attempt of a previous leader.
func TestDetailsConfigureOncePerSettings(t *testing.T) {
	settings := manscdp.BasicConfig{HeartBeatInterval: 5, HeartBeatCount: 2}
	w := enabledWant()
	w.configure = &settings
	var d detailState
	d.remember(w)
	d.newRegistration()
	j := d.job(true, nil, 16)
	if j.configure == nil || !j.basic || j.attempt.failed {
		t.Fatalf("first job %+v, want a check of the settings with the device's own", j)
	}
	d.record(j, detailAnswers{basic: taskDone, config: taskDone, attempt: configAttempt{settings: settings, failed: true}, presets: taskDone})
	if d.due() {
		t.Fatal("settings due again in the registration they failed in")
	}
	if j := d.job(true, nil, 16); j.configure != nil {
		t.Errorf("a refresh checks the settings again: %+v", j)
	}

	d.newRegistration() // the device rebooted to apply them, say
	j = d.job(true, nil, 16)
	if j.configure == nil || !j.attempt.failed {
		t.Fatalf("job of the next registration %+v, want a check that knows they failed", j)
	}
	if write, _ := decideConfigure(*j.configure, &manscdp.BasicParam{HeartBeatInterval: 60, HeartBeatCount: 3}, j.attempt, j.generation); write {
		t.Error("failed settings written again after a re-registration")
	}

	// Another generation of the spec is checked at once.
	w.generation = 2
	d.remember(w)
	if !d.due() {
		t.Error("a new spec generation's settings are not checked")
	}

	// A new leader reads what the previous one tried from the condition.
	var fresh detailState
	w.configDecided, w.configFailed = true, true
	fresh.remember(w)
	if !fresh.attempt.failed || fresh.attempt.settings != settings {
		t.Errorf("attempt %+v, want the status's failed one", fresh.attempt)
	}
}

// TestDetailsGuard: the guard is sent after each registration and each change; one not
// answered goes again with the refresh, one refused does not.
func TestDetailsGuard(t *testing.T) {
	w := enabledWant()
	w.guard = gbv1.GuardArmed
	var d detailState
	d.remember(w)
	j := d.job(true, nil, 16)
	if j.guard != gbv1.GuardArmed {
		t.Fatalf("job %+v, want the guard sent", j)
	}
	d.record(j, detailAnswers{guard: taskSilent, presets: taskDone, basic: taskDone})
	if d.due() {
		t.Error("an unanswered guard is due at once")
	}
	if j := d.job(true, nil, 16); j.guard != gbv1.GuardArmed {
		t.Error("an unanswered guard is not sent with the refresh")
	}
	d.record(detailJob{guard: gbv1.GuardArmed}, detailAnswers{guard: taskDone})
	if j := d.job(true, nil, 16); j.guard != "" {
		t.Error("an answered guard is sent again with the refresh")
	}
	w.guard = gbv1.GuardDisarmed
	d.remember(w)
	if !d.due() || d.job(false, nil, 16).guard != gbv1.GuardDisarmed {
		t.Error("a changed guard is not sent at once")
	}
}

// TestDetailsTakeOver: a leader that takes over a registration the status covers asks
// only what it lacks.
func TestDetailsTakeOver(t *testing.T) {
	regAt := t0.Add(-time.Hour)
	w := enabledWant()
	w.guard, w.guardHeld = gbv1.GuardArmed, true
	w.configure, w.configDecided = &manscdp.BasicConfig{HeartBeatInterval: 5}, true
	w.configReadAt = regAt.Add(time.Minute)
	var d detailState
	d.remember(w)
	d.takeOver(w, regAt)
	if d.due() {
		t.Errorf("details due after a takeover the status covers: %+v", d)
	}
	w.guardHeld = false
	w.configReadAt = regAt.Add(-time.Minute) // read in an earlier registration
	d.remember(w)
	d.takeOver(w, regAt)
	if j := d.job(false, nil, 16); j.guard != gbv1.GuardArmed || !j.basic || j.configure != nil || j.askPresets {
		t.Errorf("job %+v, want the guard and the settings only", j)
	}
}

// TestPresetsChangedAsksAgain: PresetsChanged makes the presets due even of a device
// that never answered them; a change during the job's run asks again after it.
func TestPresetsChangedAsksAgain(t *testing.T) {
	var d detailState
	d.remember(enabledWant())
	d.presetChannels = []string{"a"}
	j := d.job(true, nil, 16)
	d.record(j, detailAnswers{status: taskDone, basic: taskDone, presets: taskSilent})
	if d.due() {
		t.Fatal("presets due after the device stayed silent")
	}
	d.presetsWanted = true
	j = d.job(false, nil, 16)
	if !j.askPresets || len(j.presets) != 1 || j.status || j.basic {
		t.Fatalf("job %+v, want the presets only", j)
	}
	d.presetsWanted = true // told again while the job runs
	d.record(j, detailAnswers{presets: taskDone})
	if !d.due() {
		t.Error("a change during the run is lost")
	}
}

// startDetailQuerier starts a querier whose notifications are counted, never blocking it.
func startDetailQuerier(t testing.TB, srv *sipd.Server, clock *testutil.Clock, opts Options) *querier {
	t.Helper()
	opts.now = clock.Now
	opts = opts.WithDefaults()
	q := newQuerier(srv, opts, func(string) {}, logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return q
}

// idle waits until the querier has nothing queued or running for id.
func idle(t testing.TB, q *querier, id string) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, "querier idle", func() error {
		q.mu.Lock()
		defer q.mu.Unlock()
		if s := q.devices[id]; s != nil && (s.queued || s.running) {
			return fmt.Errorf("queued %v running %v", s.queued, s.running)
		}
		return nil
	})
}

// refreshNow moves the clock by want's refresh interval, schedules the refresh and waits
// for it to end.
func refreshNow(t testing.TB, q *querier, clock *testutil.Clock, want queryWant) {
	t.Helper()
	clock.Advance(want.refresh)
	if next := q.due(want); !next.IsZero() {
		t.Fatalf("refresh not due: %v", next)
	}
	idle(t, q, want.dev.ID)
}

// detailRig is a querier in front of the real registrar and a camsim NVR of two
// channels that keeps alive every 45s with 4 missed, whose second channel has preset 3.
type detailRig struct {
	srv      *sipd.Server
	dev      *sim.Device
	q        *querier
	clock    *testutil.Clock
	want     queryWant
	ch0, ch1 string
}

func newDetailRig(t testing.TB, id string) *detailRig {
	t.Helper()
	return newDetailRigWith(t, id, sim.ControlConfig{})
}

// newDetailRigWith is newDetailRig with a device that takes controls as control says.
func newDetailRigWith(t testing.TB, id string, control sim.ControlConfig) *detailRig {
	t.Helper()
	r := &detailRig{srv: sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))}
	var err error
	r.dev, err = sim.NewDevice(sim.Config{ID: id, Password: "pw", Server: r.srv.UDPAddr(), LocalIP: "127.0.0.1", Channels: 2,
		KeepaliveInterval: 45 * time.Second, KeepaliveMaxMiss: 4, Control: control, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.dev.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.dev.Register(ctx); err != nil {
		t.Fatal(err)
	}
	r.ch0, r.ch1 = sim.ChannelID(id, 2, 0), sim.ChannelID(id, 2, 1)
	r.setPreset(t, 3)
	r.clock = testutil.NewClock(t0)
	r.q = startDetailQuerier(t, r.srv, r.clock, Options{DeviceQueryTimeout: 2 * time.Second})
	w := enabledWant()
	w.guard = gbv1.GuardArmed
	w.channels = func() []string { return []string{r.ch0, r.ch1} } // the status's, once written
	r.want = queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: r.srv.Device(id).Binding.RegisteredAt, refresh: time.Hour, catalog: true, detail: w}
	return r
}

// setPreset stores a preset of the second channel, as a CameraCommand would.
func (r *detailRig) setPreset(t testing.TB, index int) {
	t.Helper()
	cmd := manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PresetSet{Index: index})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Control(ctx, sipd.DeviceRef{ID: r.dev.ID()}, r.ch1, cmd); err != nil {
		t.Fatal(err)
	}
}

// run schedules w and waits for its job; it returns the details and the queries the
// device answered for them, and releases the details as a status write would.
func (r *detailRig) run(t testing.TB, w queryWant) (*detailResult, int64) {
	t.Helper()
	before := r.dev.QueriesAnswered()
	if next := r.q.due(w); !next.IsZero() {
		t.Fatalf("nothing due: next at %v", next)
	}
	idle(t, r.q, r.dev.ID())
	res := r.q.result(r.dev.ID())
	r.q.consumed(r.dev.ID(), res)
	return res.detail, r.dev.QueriesAnswered() - before
}

// TestQuerierAsksTheDeviceItself: against the real registrar and a camsim NVR, a
// registration's job brings the device's status, its keepalive settings, its guard
// acknowledged and the presets of its channels.
func TestQuerierAsksTheDeviceItself(t *testing.T) {
	r := newDetailRig(t, "34020000001180000091")
	d, _ := r.run(t, r.want)
	if d == nil || d.status == nil || d.basic == nil || d.guard == nil {
		t.Fatalf("detail result %+v", d)
	}
	if d.status.Online != manscdp.Online || len(d.status.Alarms) != 2 {
		t.Errorf("status %+v", d.status)
	}
	if d.basic.HeartBeatInterval != 45 || d.basic.HeartBeatCount != 4 {
		t.Errorf("settings %+v, want 45s x 4", d.basic)
	}
	if d.guard.err != "" || !r.dev.Armed() {
		t.Errorf("guard %+v, device armed %v", d.guard, r.dev.Armed())
	}
	if p := d.presets[r.ch1]; len(p) != 1 || p[0].ID != 3 {
		t.Errorf("presets %+v, want preset 3 of %s", d.presets, r.ch1)
	}
	if _, ok := d.presets[r.ch0]; !ok {
		t.Errorf("the other channel's (empty) presets were not asked: %+v", d.presets)
	}
}

// TestQuerierPresetsChanged: a preset set later shows after PresetsChanged, without a
// DeviceInfo or Catalog query; PresetsChanged of a device the querier does not know
// makes no record.
func TestQuerierPresetsChanged(t *testing.T) {
	r := newDetailRig(t, "34020000001180000092")
	r.run(t, r.want)
	r.setPreset(t, 7)
	c := &Controller{queries: r.q, notify: func(string) { r.q.due(r.want) }}
	before := r.dev.QueriesAnswered()
	c.PresetsChanged(r.dev.ID())
	idle(t, r.q, r.dev.ID())
	d := r.q.result(r.dev.ID()).detail
	if d == nil || len(d.presets[r.ch1]) != 2 || d.status != nil || d.basic != nil {
		t.Fatalf("after PresetsChanged: %+v, want the two presets only", d)
	}
	if n := r.dev.QueriesAnswered() - before; n != 2 {
		t.Errorf("%d queries answered for PresetsChanged, want the 2 PresetQueries", n)
	}
	c.PresetsChanged("34020000001180000099")
	r.q.mu.Lock()
	n := len(r.q.devices)
	r.q.mu.Unlock()
	if n != 1 {
		t.Errorf("%d device records after PresetsChanged of an unknown device, want 1", n)
	}
}

// TestQuerierPresetsChangedBeforeTheChannelsAreCached: PresetsChanged of a device whose
// Camera, as the reconcile's cache shows it, lists no channel yet asks the catalog again
// and the presets of its channels, instead of asking nothing.
func TestQuerierPresetsChangedBeforeTheChannelsAreCached(t *testing.T) {
	r := newDetailRig(t, "34020000001180000094")
	r.run(t, r.want)
	r.setPreset(t, 7)
	stale := r.want
	stale.detail.channels = func() []string { return nil }
	c := &Controller{queries: r.q, notify: func(string) { r.q.due(stale) }}
	c.PresetsChanged(r.dev.ID())
	idle(t, r.q, r.dev.ID())
	res := r.q.result(r.dev.ID())
	if res.catalog == nil {
		t.Error("the catalog was not asked again")
	}
	if res.detail == nil || len(res.detail.presets[r.ch1]) != 2 {
		t.Fatalf("after PresetsChanged: %+v, want the two presets of %s", res.detail, r.ch1)
	}
}

// TestQuerierPresetsAskedAgainOnceSettled: a device that stores a preset a while after
// it answered the DeviceControl (as many do; camsim's ApplyDelay) may answer the
// PresetQuery made at once without it. PresetsChanged asks the presets once more
// presetsSettle later: the reconcile is told to come back then, the job asks the
// presets alone, and its answer has the preset. It is asked once, not again.
func TestQuerierPresetsAskedAgainOnceSettled(t *testing.T) {
	r := newDetailRigWith(t, "34020000001180000095", sim.ControlConfig{ApplyDelay: 300 * time.Millisecond})
	r.run(t, r.want)
	r.setPreset(t, 7) // answered at once, stored 300 ms later
	c := &Controller{queries: r.q, notify: func(string) { r.q.due(r.want) }}
	c.PresetsChanged(r.dev.ID())
	idle(t, r.q, r.dev.ID())
	r.q.consumed(r.dev.ID(), r.q.result(r.dev.ID()))

	againAt := r.clock.Now().Add(presetsSettle)
	if next := r.q.due(r.want); !next.Equal(againAt) {
		t.Fatalf("after the first PresetQuery, next due %v, want %v (presetsSettle later)", next, againAt)
	}
	testutil.Eventually(t, 10*time.Second, "the device stored preset 7", func() error {
		list, err := r.srv.QueryPresets(ctxT(t), sipd.DeviceRef{ID: r.dev.ID()}, r.ch1)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(list.Items, func(p manscdp.Preset) bool { return p.ID == 7 }) {
			return fmt.Errorf("presets %+v", list.Items)
		}
		return nil
	})
	r.clock.Advance(presetsSettle)
	d, _ := r.run(t, r.want)
	if d == nil || !slices.ContainsFunc(d.presets[r.ch1], func(p manscdp.Preset) bool { return p.ID == 7 }) || d.status != nil || d.basic != nil {
		t.Fatalf("asked again presetsSettle later: %+v, want the presets only, with 7", d)
	}
	if next := r.q.due(r.want); next.IsZero() || !next.After(againAt.Add(presetsSettle)) {
		t.Errorf("after asking again, next due %v: want the refresh, not a third time", next)
	}
}

// TestQuerierRefreshAndReregistration: the refresh asks DeviceStatus again, not the
// settings, guard or presets; a new registration asks everything, even when the status
// holds a catalog of the same second (this querier asked it, of the registration before).
func TestQuerierRefreshAndReregistration(t *testing.T) {
	r := newDetailRig(t, "34020000001180000093")
	r.run(t, r.want)

	r.clock.Advance(time.Hour)
	d, n := r.run(t, r.want)
	if d == nil || d.status == nil || d.basic != nil || d.presets != nil || d.guard != nil {
		t.Errorf("refresh brought %+v, want the DeviceStatus only", d)
	}
	if n != 3 {
		t.Errorf("%d queries answered at the refresh, want DeviceInfo, Catalog and DeviceStatus", n)
	}

	again := r.want
	again.registeredAt, again.queriedAt = r.want.registeredAt.Add(time.Millisecond), r.want.registeredAt
	d, n = r.run(t, again)
	if d == nil || d.status == nil || d.basic == nil || d.guard == nil || d.presets == nil {
		t.Errorf("new registration brought %+v, want everything", d)
	}
	if n != 6 {
		t.Errorf("%d queries answered for the new registration, want 6 (DeviceInfo, Catalog, DeviceStatus, ConfigDownload, 2 PresetQuery)", n)
	}
}

// TestQuerierDoesNotWaitForSilentDevices: a device that accepts the requests and never
// answers them costs one timeout each per registration: the job ends, and the
// refresh asks none of them again.
func TestQuerierDoesNotWaitForSilentDevices(t *testing.T) {
	const id = "34020000001320000093"
	srv := sipdtest.StartT(t, sipd.Config{}, sipdtest.NewStore(map[string]string{id: "pw"}))
	dev := &sim.Scripted{ID: id, Password: "pw", Server: srv.UDPAddr(), Expires: 3600, Info: manscdp.DeviceInfo{DeviceName: "n"}, Catalog: items(3)}
	t.Cleanup(dev.Close)
	if res, err := dev.Register(ctxT(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("REGISTER: %v %v", res, err)
	}
	clock := testutil.NewClock(t0)
	q := startDetailQuerier(t, srv, clock, Options{DeviceQueryTimeout: 300 * time.Millisecond})
	want := queryWant{dev: sipd.DeviceRef{ID: id}, registeredAt: srv.Device(id).Binding.RegisteredAt, refresh: time.Hour, catalog: true, detail: enabledWant()}
	q.due(want)
	idle(t, q, id)
	if r := q.result(id); r.catalog == nil || r.detail != nil {
		t.Fatalf("result %+v, want the catalog and no details", r)
	}
	if n := dev.QueryCount("PresetQuery"); n != 1 {
		t.Errorf("%d PresetQueries of 3 channels, want 1: the first silence ends the round", n)
	}
	refreshNow(t, q, clock, want)
	for cmd, want := range map[string]int{"Catalog": 2, "DeviceStatus": 1, "ConfigDownload": 1, "PresetQuery": 1} {
		if n := dev.QueryCount(cmd); n != want {
			t.Errorf("%d %s queries after the refresh, want %d", n, cmd, want)
		}
	}
}
