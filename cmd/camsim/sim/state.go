package sim

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// What a device remembers beyond its registration: PTZ positions and presets per
// channel, armed and recording flags, the alarms raised and not reset, the last command
// taken, its subscriptions, its alarm timer and a reboot under way. It is made on the first control,
// subscription or alarm, so that a fleet of devices that only register and keep alive
// pays one pointer each for it. Everything in it is bounded by the device's channels
// and Subscriptions.Max.

// extraState holds a device's deviceState, made on first use.
type extraState struct {
	p atomic.Pointer[deviceState]
}

type deviceState struct {
	mu          sync.Mutex
	armed       bool
	recording   bool
	manual      []recordSpan             // manual recordings, oldest first, at most maxManualRecordings
	alarming    map[string]bool          // channel (or device) ID → alarm raised and not reset
	lastCommand string                   // the last control or configuration taken, described
	ptz         map[string]*ptzState     // per channel (or device) ID controlled
	subs        map[string]*subscription // by Call-ID, at most Subscriptions.Max
	alarms      *alarmRaiser             // running while alarms are raised
	rebootAt    time.Time                // while rebooting: when the device comes back
	closed      bool                     // the device was closed: start nothing more
}

// state returns the device's deviceState, making it on first use.
func (d *Device) state() *deviceState {
	if st := d.extra.p.Load(); st != nil {
		return st
	}
	st := &deviceState{
		alarming: make(map[string]bool),
		ptz:      make(map[string]*ptzState),
		subs:     make(map[string]*subscription),
	}
	if d.extra.p.CompareAndSwap(nil, st) {
		return st
	}
	return d.extra.p.Load()
}

// stateIfAny returns the device's deviceState, or nil when it has none yet.
func (d *Device) stateIfAny() *deviceState { return d.extra.p.Load() }

// closeExtra stops what the device's state runs (subscriptions, alarms).
func (d *Device) closeExtra() {
	st := d.stateIfAny()
	if st == nil {
		return
	}
	st.mu.Lock()
	st.closed = true
	st.mu.Unlock()
	d.endSubscriptions()
	d.stopAlarms()
}

// DeviceState is what a device has been told and is doing, for tests and for users
// (camsim prints it after each change).
type DeviceState struct {
	ID string `json:"id"`
	// LastCommand describes the last control or configuration the device took.
	LastCommand string `json:"last_command,omitempty"`
	// Armed is set by GuardCmd SetGuard and cleared by ResetGuard.
	Armed bool `json:"armed"`
	// Recording is set by RecordCmd Record and cleared by StopRecord.
	Recording bool `json:"recording"`
	// Alarming lists the channels with an alarm raised and not reset, sorted.
	Alarming []string `json:"alarming,omitempty"`
	// KeepaliveInterval and KeepaliveMaxMiss are the keepalive schedule now; Expires the
	// registration lifetime asked for (a DeviceConfig changes them).
	KeepaliveInterval time.Duration `json:"keepalive_interval_ns"`
	KeepaliveMaxMiss  int           `json:"keepalive_max_miss"`
	Expires           time.Duration `json:"expires_ns"`
	// PTZ holds the channels that took a PTZ or preset command, by channel ID.
	PTZ map[string]PTZState `json:"ptz,omitempty"`
	// Subscriptions are the live subscriptions.
	Subscriptions []SubscriptionInfo `json:"subscriptions,omitempty"`
	// Streams is the number of live video, playback and download calls.
	Streams int `json:"streams"`
}

// State is a snapshot of the device's state.
func (d *Device) State() DeviceState {
	s := d.settings()
	out := DeviceState{ID: d.cfg.ID, KeepaliveInterval: s.keepalive, KeepaliveMaxMiss: s.maxMiss, Expires: s.expires, Streams: d.Streams()}
	st := d.stateIfAny()
	if st == nil {
		return out
	}
	now := time.Now()
	st.mu.Lock()
	out.LastCommand, out.Armed, out.Recording = st.lastCommand, st.armed, st.recording
	out.Alarming = slices.Sorted(maps.Keys(st.alarming))
	if len(st.ptz) > 0 {
		out.PTZ = make(map[string]PTZState, len(st.ptz))
		for id, p := range st.ptz {
			out.PTZ[id] = p.snapshot(now)
		}
	}
	subs := slices.Collect(maps.Values(st.subs))
	st.mu.Unlock()
	for _, s := range subs {
		out.Subscriptions = append(out.Subscriptions, s.info())
	}
	slices.SortFunc(out.Subscriptions, func(a, b SubscriptionInfo) int { return strings.Compare(a.CallID, b.CallID) })
	return out
}

// PTZ is the PTZ state of a channel (or of the device, for an IPC) now; the zero
// PTZState for one that took no PTZ command.
func (d *Device) PTZ(channel string) PTZState {
	st := d.stateIfAny()
	if st == nil {
		return PTZState{}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if p := st.ptz[channel]; p != nil {
		return p.snapshot(time.Now())
	}
	return PTZState{}
}

// Armed reports whether the device is armed (GuardCmd).
func (d *Device) Armed() bool { return d.State().Armed }

// Recording reports whether the device records by hand (RecordCmd).
func (d *Device) Recording() bool { return d.State().Recording }

// LastCommand describes the last control or configuration the device took.
func (d *Device) LastCommand() string { return d.State().LastCommand }

// Subscriptions lists the device's live subscriptions.
func (d *Device) Subscriptions() []SubscriptionInfo { return d.State().Subscriptions }

// changed tells the user (Config.OnState) what the device's state became.
func (d *Device) changed() {
	if d.cfg.OnState != nil {
		d.cfg.OnState(d.State())
	}
}

// presetsOf lists presets by ID, for answers and snapshots.
func presetsOf(m map[int]PTZPosition) []manscdp.Preset {
	ids := slices.Sorted(maps.Keys(m))
	out := make([]manscdp.Preset, len(ids))
	for i, id := range ids {
		out[i] = manscdp.Preset{ID: id, Name: presetName(id)}
	}
	return out
}
