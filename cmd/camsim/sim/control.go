package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Controls (GB/T 28181-2016 A.2.3): a platform's <Control> MESSAGE gets a 200 at once
// (a DeviceControl applied first, or ApplyDelay after it), then, like real devices, a
// <Response> MESSAGE with the control's SN and Result OK (ERROR for a channel the
// device lacks or a command it cannot do, such as going to a preset never set). Every
// DeviceControl command is answered so, PTZ included: many devices do, and a platform
// waiting for an answer learns the command arrived.
//
//	PTZCmd        moves, presets, cruises, scans (ptz.go)
//	TeleBoot      answered, then a reboot: unregister, RebootDelay deaf, register again
//	RecordCmd     the manual recording flag (DeviceStatus Record, RecordInfo manual items)
//	GuardCmd      the armed flag; alarms are raised only while armed (alarm.go)
//	AlarmCmd      ResetAlarm clears the raised alarms of the channel, or all of them
//	IFameCmd      accepted
//	HomePosition  stored with the channel's PTZ
//	DragZoomIn/Out  zoom one unit
//
// DeviceConfig (BasicParam) is applied (basicparam.go) and answered, unless
// Control.RebootOnConfig makes the device reboot without a word, as some vendors do;
// Control.IgnoreConfig keeps the device's settings whatever it answers.

// ControlConfig configures how a device takes controls.
type ControlConfig struct {
	// RebootDelay is how long a reboot (TeleBoot, RebootOnConfig) keeps the device down
	// before it registers again (default 3s).
	RebootDelay time.Duration
	// RebootOnConfig makes the device answer a DeviceConfig with nothing but the
	// MESSAGE's 200, apply it and reboot, as some vendors' devices do.
	RebootOnConfig bool
	// IgnoreConfig makes the device take a DeviceConfig (answer OK, or reboot with
	// RebootOnConfig) and keep its settings, as firmware that ignores the platform's does.
	IgnoreConfig bool
	// ApplyDelay makes the device apply a DeviceControl this long after the MESSAGE's
	// 200, as many real devices do: a platform that asks at once (a preset's
	// PresetQuery) finds what was there before (0: applied before the 200).
	ApplyDelay time.Duration
}

func (c *ControlConfig) setDefaults() error {
	if c.RebootDelay < 0 {
		return fmt.Errorf("sim: negative reboot delay %v", c.RebootDelay)
	}
	if c.ApplyDelay < 0 || c.ApplyDelay > maxApplyDelay {
		return fmt.Errorf("sim: control apply delay %v outside 0-%v", c.ApplyDelay, maxApplyDelay)
	}
	if c.RebootDelay == 0 {
		c.RebootDelay = 3 * time.Second
	}
	return nil
}

// maxApplyDelay bounds ControlConfig.ApplyDelay: the control's Response waits for it,
// within the platform's patience.
const maxApplyDelay = 10 * time.Second

// maxManualRecordings bounds the manual recordings a device remembers.
const maxManualRecordings = 64

var errUnknownChannel = errors.New("sim: not a channel of this device")

// controlOutcome is how a DeviceControl was applied: refused (err), or to be followed
// by a reboot.
type controlOutcome struct {
	reboot bool
	err    error
}

// controlTarget is the channel or device a <Control> names.
func (d *Device) controlTarget(m *manscdp.Message) string {
	if m.DeviceID == "" {
		return d.cfg.ID
	}
	return m.DeviceID
}

// applyDeviceControl applies a DeviceControl. It runs before the MESSAGE's 200 (a
// platform that learns from the 200 that a preset was set may ask for the presets at
// once, and finds it), or ControlConfig.ApplyDelay after it.
func (d *Device) applyDeviceControl(m *manscdp.Message) controlOutcome {
	target := d.controlTarget(m)
	reboot, err := d.applyControl(target, m.Control)
	if err != nil {
		d.log.Info("DeviceControl refused", "target", target, "error", err)
	}
	d.changed()
	return controlOutcome{reboot: reboot, err: err}
}

// handleControl takes a <Control> and sends its answer; a DeviceControl's applied is
// how applyDeviceControl applied it.
func (d *Device) handleControl(ctx context.Context, m *manscdp.Message, applied controlOutcome) error {
	target := d.controlTarget(m)
	switch m.CmdType {
	case "DeviceControl":
		reboot, err := applied.reboot, applied.err
		body, encErr := manscdp.EncodeResultResponse("DeviceControl", m.SN, target, err == nil, d.cfg.Charset)
		if encErr != nil {
			return encErr
		}
		sendErr := d.sendMessage(ctx, body)
		if reboot {
			d.reboot(true)
		}
		return sendErr
	case "DeviceConfig":
		var err error
		if !d.cfg.Control.IgnoreConfig {
			err = d.applyConfig(m.BasicParam)
		}
		d.note(describeConfig(m.BasicParam, err))
		d.changed()
		if err != nil {
			d.log.Info("DeviceConfig refused", "error", err)
		}
		if d.cfg.Control.RebootOnConfig {
			d.reboot(false)
			return nil
		}
		body, encErr := manscdp.EncodeResultResponse("DeviceConfig", m.SN, target, err == nil, d.cfg.Charset)
		if encErr != nil {
			return encErr
		}
		return d.sendMessage(ctx, body)
	}
	d.log.Debug("control not simulated", "cmdType", m.CmdType)
	return nil
}

// note records the last command taken.
func (d *Device) note(what string) {
	st := d.state()
	st.mu.Lock()
	st.lastCommand = what
	st.mu.Unlock()
	d.log.Info("control", "command", what)
}

// applyControl takes one DeviceControl command for target (the device or one of its
// channels) and reports whether the device must now reboot.
func (d *Device) applyControl(target string, cmd manscdp.ControlCommand) (reboot bool, err error) {
	if !d.hasTarget(target) {
		d.note("refused: " + describeControl(cmd))
		return false, fmt.Errorf("%w: %s", errUnknownChannel, target)
	}
	if cmd == nil {
		d.note("refused: DeviceControl without a known command")
		return false, errors.New("sim: DeviceControl without a command the device knows")
	}
	d.note(describeControl(cmd))
	st := d.state()
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	switch c := cmd.(type) {
	case manscdp.PTZControl:
		return false, st.ptzOf(target).apply(c.Cmd.Instruction, now)
	case manscdp.TeleBoot:
		return true, nil
	case manscdp.RecordCmd:
		st.setRecording(target, c == manscdp.RecordStart, d.now())
	case manscdp.GuardCmd:
		st.armed = c == manscdp.GuardSet
		d.alarmsArmedLocked(st)
	case manscdp.ResetAlarm:
		if target == d.cfg.ID {
			clear(st.alarming)
		} else {
			delete(st.alarming, target)
		}
	case manscdp.ForceIFrame:
	case manscdp.HomePosition:
		h := c
		st.ptzOf(target).home = &h
	case manscdp.DragZoom:
		st.ptzOf(target).dragZoom(c, now)
	}
	return false, nil
}

// ptzOf returns the PTZ of id, made on first use; id is one of the device's targets,
// so the map stays within the channel count.
func (st *deviceState) ptzOf(id string) *ptzState {
	p := st.ptz[id]
	if p == nil {
		p = &ptzState{}
		st.ptz[id] = p
	}
	return p
}

// setRecording starts or stops manual recording of target (the device meaning all its
// channels), remembering each finished recording for RecordInfo.
func (st *deviceState) setRecording(target string, on bool, now time.Time) {
	switch {
	case on && !st.recording:
		st.manual = append(st.manual, recordSpan{channel: target, start: now})
		if len(st.manual) > maxManualRecordings {
			st.manual = append(st.manual[:0], st.manual[len(st.manual)-maxManualRecordings:]...)
		}
	case !on && st.recording && len(st.manual) > 0:
		st.manual[len(st.manual)-1].end = now
	}
	st.recording = on
}

// hasTarget reports whether id is the device or one of its channels (an added one of
// CatalogChurn included, while it exists).
func (d *Device) hasTarget(id string) bool {
	if id == d.cfg.ID {
		return true
	}
	_, ok := d.channelIndex(id)
	return ok
}

func describeControl(cmd manscdp.ControlCommand) string {
	switch c := cmd.(type) {
	case manscdp.PTZControl:
		return describePTZ(c.Cmd.Instruction)
	case manscdp.TeleBoot:
		return "TeleBoot"
	case manscdp.RecordCmd:
		return "RecordCmd " + string(c)
	case manscdp.GuardCmd:
		return "GuardCmd " + string(c)
	case manscdp.ResetAlarm:
		return fmt.Sprintf("AlarmCmd ResetAlarm method %d type %d", c.Method, c.Type)
	case manscdp.ForceIFrame:
		return "IFameCmd Send"
	case manscdp.HomePosition:
		return fmt.Sprintf("HomePosition enabled=%v preset %d after %ds", c.Enabled, c.PresetIndex, c.ResetTime)
	case manscdp.DragZoom:
		if c.Out {
			return "DragZoomOut"
		}
		return "DragZoomIn"
	case nil:
		return "DeviceControl without a command"
	}
	return fmt.Sprintf("DeviceControl %T", cmd)
}

func describeConfig(p *manscdp.BasicParam, err error) string {
	if p == nil || err != nil {
		return "refused: DeviceConfig"
	}
	return fmt.Sprintf("DeviceConfig name %q expiration %d heartbeat %ds x%d", p.Name, p.Expiration, p.HeartBeatInterval, p.HeartBeatCount)
}
