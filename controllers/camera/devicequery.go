package camera

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What the querier asks a device beyond DeviceInfo and Catalog, in the same job, so that
// it shares their order (a registration's first queries before refreshes), their
// concurrency bound and their device-change signal:
//
//	DeviceStatus    with every DeviceInfo/Catalog query: after each registration and refresh
//	ConfigDownload  once per registration: the device's own keepalive settings
//	DeviceConfig    with spec.keepalive.configureDevice, when the device's settings differ:
//	                at most one attempt per spec generation (deviceconfig.go)
//	GuardCmd        with spec.guard: once per registration and per change (guard.go)
//	PresetQuery     once per registration, and twice after PresetsChanged (presets.go)
//
// Each request is one try per registration. A device that accepts a request and never
// answers it (many do for what they lack: PTZ presets, ConfigDownload) is not asked it
// again until it registers again; a request that could not be sent (the registrar's
// bounds) is tried again with the next refresh. So a job ends, whatever the device
// does, and nothing here asks a device in a loop.

// deviceQueries are the registrar's requests the querier sends beyond DeviceInfo and
// Catalog; *sipd.Server implements them.
type deviceQueries interface {
	QueryDeviceStatus(ctx context.Context, dev sipd.DeviceRef) (*manscdp.DeviceStatus, error)
	QueryBasicParam(ctx context.Context, dev sipd.DeviceRef) (*manscdp.BasicParam, error)
	ConfigureBasic(ctx context.Context, dev sipd.DeviceRef, c manscdp.BasicConfig) error
	Control(ctx context.Context, dev sipd.DeviceRef, channelID string, cmd manscdp.ControlCommand) error
	QueryPresets(ctx context.Context, dev sipd.DeviceRef, channelID string) (*manscdp.PresetList, error)
}

// detailWant is what a reconcile asks of the querier beyond DeviceInfo and Catalog: the
// Camera's spec, and what its status already holds (which a leader that takes over
// does not ask again).
type detailWant struct {
	// enabled asks for anything at all; the zero detailWant asks nothing.
	enabled    bool
	generation int64
	// configure is spec.keepalive to write to the device; nil without configureDevice.
	configure *manscdp.BasicConfig
	// configDecided: the status's DeviceConfigured condition is of this generation;
	// configFailed: it is False, so the settings were written once already.
	configDecided, configFailed bool
	// guard is spec.guard; guardHeld: status.guard is it already.
	guard     gbv1.GuardState
	guardHeld bool
	// configReadAt is when status.deviceConfig was read (zero: never).
	configReadAt time.Time
	// channels lists the status's channels whose presets may be asked; called only
	// when presets are due, so a reconcile pays nothing for it otherwise.
	channels func() []string
}

// detailWantOf is what cam asks of the querier.
func detailWantOf(cam *gbv1.Camera, maxPresetChannels int) detailWant {
	st := &cam.Status
	w := detailWant{
		enabled:    true,
		generation: cam.Generation,
		configure:  configureWant(cam.Spec.Keepalive),
		guard:      cam.Spec.Guard,
		guardHeld:  cam.Spec.Guard != "" && st.Guard == cam.Spec.Guard,
		channels:   func() []string { return presetChannels(st.Channels, maxPresetChannels) },
	}
	if c := meta.FindStatusCondition(st.Conditions, gbv1.ConditionDeviceConfigured); c != nil && c.ObservedGeneration == cam.Generation {
		w.configDecided, w.configFailed = true, c.Status == metav1.ConditionFalse
	}
	if st.DeviceConfig != nil {
		w.configReadAt = st.DeviceConfig.QueriedAt.Time
	}
	return w
}

// taskState is where one request of a registration stands.
type taskState uint8

const (
	taskPending taskState = iota // not asked yet in this registration
	taskDone                     // answered or refused: not asked again in this registration
	taskRetry                    // not sent (the registrar's bounds): again with the next refresh
	taskSilent                   // accepted and never answered: not asked again in this registration
)

// taskStateOf is where a request stands after it ended with err.
func taskStateOf(err error) taskState {
	switch {
	case err == nil:
		return taskDone
	case notSent(err):
		return taskRetry
	case errors.Is(err, sipd.ErrNoAnswer), errors.Is(err, sipd.ErrUnreachable), errors.Is(err, sipd.ErrTimeout),
		// The request's own timeout ended it before the device answered the MESSAGE at
		// all: as silent as a device that took it and sent no Response.
		errors.Is(err, context.DeadlineExceeded):
		return taskSilent
	}
	return taskDone // refused (a non-2xx answer, Result ERROR) or unreadable: it will not improve
}

// notSent reports whether err says the request never reached the device.
func notSent(err error) bool {
	for _, e := range []error{sipd.ErrTooManyQueries, sipd.ErrTooManyTransactions, sipd.ErrNotRegistered,
		sipd.ErrNotOwner, sipd.ErrStopped, context.Canceled} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// detailState is the querier's record of one device's requests beyond DeviceInfo and
// Catalog, part of its queryState and guarded by the querier's lock.
type detailState struct {
	// want is the latest detailWant (without its channels function).
	want detailWant

	// Of the registration the querier last queried:
	status, basic, presets taskState
	// configChecked is the generation whose settings were checked; configState how
	// that check ended.
	configChecked int64
	configState   taskState
	// guardSent is the guard state sent; guardState how that ended.
	guardSent  gbv1.GuardState
	guardState taskState
	// presetsWanted: PresetsChanged since the presets were last asked.
	presetsWanted bool
	// presetsAgainAt is when the presets are asked once more after a PresetsChanged
	// (zero: not to be).
	presetsAgainAt time.Time
	// presetChannels are the status's channels whose presets a job asks when it
	// fetches no catalog of its own.
	presetChannels []string

	// Across registrations: the last attempt to write the keepalive settings.
	attempt configAttempt
}

// configAttempt is the last time keepalive settings were written to a device.
type configAttempt struct {
	settings manscdp.BasicConfig
	// failed: the device did not take them (refused, never answered, or answered and
	// reports others): they are not written again; other settings (a changed spec) are.
	failed bool
}

// newRegistration starts the record of a device's new registration: everything is
// asked again, except settings that failed for this generation of the spec.
func (d *detailState) newRegistration() {
	*d = detailState{want: d.want, attempt: d.attempt}
}

// takeOver starts the record of a registration that a previous leader already queried,
// from what the status holds: only what it lacks is asked.
func (d *detailState) takeOver(w detailWant, registeredAt time.Time) {
	d.newRegistration()
	if !w.configReadAt.IsZero() && !w.configReadAt.Before(registeredAt.Truncate(time.Second)) {
		d.basic = taskDone
	}
	if w.configDecided {
		d.configChecked, d.configState = w.generation, taskDone
	}
	if w.guardHeld {
		d.guardSent, d.guardState = w.guard, taskDone
	}
	d.presets = taskDone
}

// remember takes w as the latest want. A status that says the settings of this spec
// generation failed stands for an attempt this replica did not see (a previous leader's).
func (d *detailState) remember(w detailWant) {
	w.channels = nil
	d.want = w
	if d.attempt == (configAttempt{}) && w.configure != nil && w.configDecided && w.configFailed {
		d.attempt = configAttempt{settings: *w.configure, failed: true}
	}
}

// due reports whether something must be asked now, without a DeviceInfo/Catalog query.
func (d *detailState) due() bool {
	w := &d.want
	if !w.enabled {
		return false
	}
	return d.basic == taskPending ||
		(w.configure != nil && d.configChecked != w.generation) ||
		(w.guard != "" && d.guardSent != w.guard) ||
		d.presetsWanted || d.presets == taskPending
}

// wantsPresets reports whether the next job asks presets.
func (d *detailState) wantsPresets(main bool) bool {
	return d.want.enabled && (d.presetsWanted || d.presets == taskPending || (main && d.presets == taskRetry))
}

// detailJob is what one run asks, decided under the querier's lock.
type detailJob struct {
	status, basic bool
	// configure is the settings to check (and write, if configAttempt allows); nil: none.
	configure  *manscdp.BasicConfig
	generation int64
	attempt    configAttempt
	guard      gbv1.GuardState
	// askPresets: the presets are due; presets are the channels to ask (perhaps none).
	askPresets bool
	presets    []string
}

func (j *detailJob) empty() bool {
	return !j.status && !j.basic && j.configure == nil && j.guard == "" && len(j.presets) == 0
}

// job decides what this run asks: main tells whether it queried DeviceInfo and Catalog
// (a refresh, which also retries what could not be sent), cat is the catalog it
// received, if any. It marks the presets as asked, so a PresetsChanged during the run
// asks again.
func (d *detailState) job(main bool, cat *manscdp.Catalog, maxPresetChannels int) detailJob {
	w := &d.want
	if !w.enabled {
		return detailJob{}
	}
	j := detailJob{
		status:     main && d.status != taskSilent,
		basic:      d.basic == taskPending || (main && d.basic == taskRetry),
		generation: w.generation,
		attempt:    d.attempt,
	}
	if w.configure != nil && (d.configChecked != w.generation || (main && d.configState == taskRetry)) {
		c := *w.configure
		j.configure = &c
		j.basic = j.basic || d.basic != taskSilent // compare with what the device says now
	}
	if w.guard != "" && (d.guardSent != w.guard || (main && d.guardState != taskDone)) {
		// A guard not sent, or not answered, is sent again with the refresh: alarms
		// depend on it. A refusal is final until the spec or the registration changes.
		j.guard = w.guard
	}
	if d.wantsPresets(main) {
		j.askPresets = true
		if cat != nil {
			j.presets = catalogPresetChannels(cat, maxPresetChannels)
		} else {
			j.presets = d.presetChannels
		}
		d.presetsWanted = false
	}
	return j
}

// detailAnswers are what a job's requests brought: the answers for status, and how each
// request ended.
type detailAnswers struct {
	result                                detailResult
	status, basic, config, guard, presets taskState
	attempt                               configAttempt
}

// record keeps in d how the requests of j ended.
func (d *detailState) record(j detailJob, a detailAnswers) {
	if j.status {
		d.status = a.status
	}
	if j.basic {
		d.basic = a.basic
	}
	if j.configure != nil {
		d.configChecked, d.configState, d.attempt = j.generation, a.config, a.attempt
	}
	if j.guard != "" {
		d.guardSent, d.guardState = j.guard, a.guard
	}
	if j.askPresets {
		// No channel to ask is an answer too: nothing to ask until the next registration.
		d.presets = a.presets
	}
}

// detailResult is the answers of a job not yet written to status: nil fields for what
// was not asked or not answered.
type detailResult struct {
	status   *manscdp.DeviceStatus
	statusAt time.Time
	basic    *manscdp.BasicParam
	basicAt  time.Time
	config   *configOutcome
	guard    *guardOutcome
	// presets of the channels that answered, by channel ID.
	presets map[string][]manscdp.Preset
}

func (r *detailResult) empty() bool {
	return r.status == nil && r.basic == nil && r.config == nil && r.guard == nil && r.presets == nil
}

// merged is r with the newer answers of n over it; either may be nil.
func (r *detailResult) merged(n *detailResult) *detailResult {
	if r == nil {
		return n
	}
	if n == nil {
		return r
	}
	m := *r
	if n.status != nil {
		m.status, m.statusAt = n.status, n.statusAt
	}
	if n.basic != nil {
		m.basic, m.basicAt = n.basic, n.basicAt
	}
	if n.config != nil {
		m.config = n.config
	}
	if n.guard != nil {
		m.guard = n.guard
	}
	if n.presets != nil {
		p := make(map[string][]manscdp.Preset, len(m.presets)+len(n.presets))
		for id, v := range m.presets {
			p[id] = v
		}
		for id, v := range n.presets {
			p[id] = v
		}
		m.presets = p
	}
	return &m
}

// askFunc makes one request of the named MANSCDP command with f, bounded by the
// request's timeout, and counts how it ended.
type askFunc func(command string, f func(ctx context.Context) error) error

// ask sends j's requests to dev one after another, each bounded by timeout.
func ask(ctx context.Context, reg deviceQueries, dev sipd.DeviceRef, j detailJob, timeout time.Duration, now func() time.Time, log logr.Logger) detailAnswers {
	a := detailAnswers{presets: taskDone, attempt: j.attempt}
	call := func(command string, f func(ctx context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		err := f(cctx)
		if ctx.Err() == nil { // a querier that stops has nothing to count
			countQuery(command, err)
		}
		return err
	}
	if j.status {
		var st *manscdp.DeviceStatus
		err := call("DeviceStatus", func(ctx context.Context) (err error) { st, err = reg.QueryDeviceStatus(ctx, dev); return })
		a.status = taskStateOf(err)
		if err == nil {
			a.result.status, a.result.statusAt = st, now()
		} else {
			log.Info("DeviceStatus query failed", "error", err)
		}
	}
	if j.basic {
		a.basic = a.readBasic(call, reg, dev, now, log)
	}
	if j.configure != nil {
		a.configure(call, reg, dev, j, now, log)
	}
	if j.guard != "" {
		err := call("DeviceControl", func(ctx context.Context) error { return reg.Control(ctx, dev, "", guardCommand(j.guard)) })
		if a.guard = taskStateOf(err); a.guard != taskRetry {
			a.result.guard = &guardOutcome{state: j.guard, err: errorText(err)}
		}
		if err != nil {
			log.Info("GuardCmd failed", "guard", j.guard, "error", err)
		}
	}
	for _, ch := range j.presets {
		var list *manscdp.PresetList
		err := call("PresetQuery", func(ctx context.Context) (err error) { list, err = reg.QueryPresets(ctx, dev, ch); return })
		if err != nil {
			// One channel without an answer ends the round: a device without PTZ may
			// answer none of them, and each would cost the whole timeout.
			a.presets = taskStateOf(err)
			log.Info("PresetQuery failed", "channel", ch, "error", err)
			break
		}
		if a.result.presets == nil {
			a.result.presets = make(map[string][]manscdp.Preset, len(j.presets))
		}
		a.result.presets[ch] = list.Items
	}
	return a
}

// readBasic asks the device's BasicParam into a.result.
func (a *detailAnswers) readBasic(call askFunc, reg deviceQueries, dev sipd.DeviceRef, now func() time.Time, log logr.Logger) taskState {
	var p *manscdp.BasicParam
	err := call("ConfigDownload", func(ctx context.Context) (err error) { p, err = reg.QueryBasicParam(ctx, dev); return })
	if err != nil {
		log.Info("ConfigDownload BasicParam query failed", "error", err)
		return taskStateOf(err)
	}
	a.result.basic, a.result.basicAt = p, now()
	return taskDone
}

// configure checks the device's keepalive settings against j.configure and writes them
// when they differ and the last attempt allows; a.result.config says how it ended.
func (a *detailAnswers) configure(call askFunc, reg deviceQueries, dev sipd.DeviceRef, j detailJob, now func() time.Time, log logr.Logger) {
	want := *j.configure
	write, verdict := decideConfigure(want, a.result.basic, j.attempt, j.generation)
	a.config, a.result.config = taskDone, verdict
	if !write {
		return
	}
	err := call("DeviceConfig", func(ctx context.Context) error { return reg.ConfigureBasic(ctx, dev, want) })
	if notSent(err) {
		a.config = taskRetry
		log.Info("DeviceConfig not sent", "error", err)
		return
	}
	var reread *manscdp.BasicParam
	if err == nil {
		// The device said OK; what it reports now says whether it took them.
		if a.readBasic(call, reg, dev, now, log) == taskDone {
			reread = a.result.basic
		}
	} else {
		log.Info("DeviceConfig failed", "error", err)
	}
	v, attempt := configureVerdict(want, err, reread, j.generation)
	a.result.config, a.attempt = &v, attempt
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// runDetails asks what the device's detail record says is due, after the DeviceInfo
// and Catalog of this job when main (cat is the catalog received, if any), records the
// answers and ends the job. The device is signalled when the job ends, and also before
// the details are asked when main answers wait to be written: a device slow to answer
// (or never answering) DeviceStatus does not hold back its catalog.
func (q *querier) runDetails(ctx context.Context, deviceID string, s *queryState, main bool, cat *manscdp.Catalog) {
	q.mu.Lock()
	if q.devices[deviceID] != s {
		q.mu.Unlock()
		return
	}
	j := s.detail.job(main, cat, q.maxPresetChannels)
	dev := sipd.DeviceRef{ID: deviceID, Owner: s.owner}
	if j.empty() {
		s.detail.record(j, detailAnswers{presets: taskDone})
		s.running = false
		q.settle(s)
		q.mu.Unlock()
		q.notify(deviceID)
		return
	}
	q.mu.Unlock()
	if main {
		q.notify(deviceID)
	}

	a := ask(ctx, q.reg, dev, j, q.detailTimeout, q.now, q.log.WithValues("deviceID", deviceID))
	if ctx.Err() != nil {
		return // shutting down; the next leader asks again
	}
	q.mu.Lock()
	if q.devices[deviceID] != s {
		q.mu.Unlock()
		return // forgotten meanwhile
	}
	s.detail.record(j, a)
	if !a.result.empty() {
		r := a.result
		s.result.detail = s.result.detail.merged(&r)
	}
	s.running = false
	q.settle(s)
	q.mu.Unlock()
	q.notify(deviceID)
}
