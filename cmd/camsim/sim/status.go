package sim

import (
	"context"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Answers to the platform's status queries: DeviceStatus (online, working, encoding,
// recording, the device clock, the duty status of each channel's alarm input) and
// PresetQuery (a channel's presets).

// maxAlarmStatusItems bounds the Alarmstatus list of a DeviceStatus answer, so that an
// NVR of many channels still answers in one body.
const maxAlarmStatusItems = 256

// deviceStatus is the device's answer to a DeviceStatus query for target (the device,
// or one of its channels).
func (d *Device) deviceStatus(target string) manscdp.DeviceStatus {
	st := manscdp.DeviceStatus{
		DeviceID:   target,
		Result:     manscdp.ResultOK,
		Online:     manscdp.Online,
		Status:     manscdp.StatusOK,
		Encode:     manscdp.On,
		Record:     manscdp.Off,
		DeviceTime: manscdp.FormatTime(d.now(), d.cfg.Location),
	}
	if d.cfg.Records.Span > 0 {
		st.Record = manscdp.On // recording on schedule
	}
	inputs := []string{target}
	if target == d.cfg.ID {
		inputs = d.channelIDs()
	}
	if len(inputs) > maxAlarmStatusItems {
		inputs = inputs[:maxAlarmStatusItems]
	}
	var armed, recording bool
	var alarming map[string]bool
	if s := d.stateIfAny(); s != nil {
		s.mu.Lock()
		armed, recording = s.armed, s.recording
		alarming = make(map[string]bool, len(s.alarming))
		for id := range s.alarming {
			alarming[id] = true
		}
		s.mu.Unlock()
	}
	if recording {
		st.Record = manscdp.On
	}
	for _, id := range inputs {
		duty := manscdp.DutyOff
		switch {
		case alarming[id]:
			duty = manscdp.DutyAlarm
		case armed:
			duty = manscdp.DutyOn
		}
		st.Alarms = append(st.Alarms, manscdp.AlarmStatus{DeviceID: id, DutyStatus: duty})
	}
	return st
}

func (d *Device) answerDeviceStatus(ctx context.Context, m *manscdp.Message) error {
	target := m.DeviceID
	if !d.hasTarget(target) {
		target = d.cfg.ID
	}
	body, err := manscdp.EncodeDeviceStatusResponse(m.SN, d.deviceStatus(target), d.cfg.Charset)
	if err != nil {
		return err
	}
	return d.sendMessage(ctx, body)
}

// answerPresetQuery lists a channel's presets; a channel the device lacks, or one never
// given a preset, has none.
func (d *Device) answerPresetQuery(ctx context.Context, m *manscdp.Message) error {
	var presets []manscdp.Preset
	if s := d.stateIfAny(); s != nil && d.hasTarget(m.DeviceID) {
		s.mu.Lock()
		if p := s.ptz[m.DeviceID]; p != nil {
			presets = presetsOf(p.presets)
		}
		s.mu.Unlock()
	}
	target := m.DeviceID
	if target == "" {
		target = d.cfg.ID
	}
	body, err := manscdp.EncodePresetQueryResponse(m.SN, target, presets, d.cfg.Charset)
	if err != nil {
		return err
	}
	return d.sendMessage(ctx, body)
}

// answerPositionQuery answers a MobilePosition query with one position report.
func (d *Device) answerPositionQuery(ctx context.Context, m *manscdp.Message) error {
	body, err := manscdp.EncodeMobilePositionNotify(m.SN, d.position(time.Now()), d.cfg.Charset)
	if err != nil {
		return err
	}
	return d.sendMessage(ctx, body)
}
