package sipd

import (
	"context"
	"fmt"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The device's state and settings, asked and set over query (message_query.go):
// DeviceStatus (GB/T 28181-2016 A.2.4.4), ConfigDownload BasicParam (A.2.4.7),
// DeviceConfig BasicParam (A.2.3.2), DeviceControl (A.2.3.1) and PresetQuery (A.2.4.9).
// Each acts only through a binding dev.Owner holds (ErrNotOwner otherwise).

// QueryDeviceStatus asks a registered device for its DeviceStatus: online, working
// status, encoding, recording, its alarm inputs and its clock.
func (s *Server) QueryDeviceStatus(ctx context.Context, dev DeviceRef) (*manscdp.DeviceStatus, error) {
	msg, err := s.queryOne(ctx, dev, dev.ID, "DeviceStatus", func(sn int) ([]byte, error) {
		return manscdp.EncodeDeviceStatusQuery(sn, dev.ID), nil
	})
	if err != nil {
		return nil, err
	}
	if msg.DeviceStatus == nil {
		return nil, fmt.Errorf("%w: DeviceStatus Response of %s without its fields", ErrNoAnswer, dev.ID)
	}
	st := *msg.DeviceStatus
	return &st, nil
}

// QueryBasicParam asks a registered device for its basic configuration (ConfigDownload
// BasicParam): its name, registration expiry, heartbeat interval and count.
func (s *Server) QueryBasicParam(ctx context.Context, dev DeviceRef) (*manscdp.BasicParam, error) {
	msg, err := s.queryOne(ctx, dev, dev.ID, "ConfigDownload", func(sn int) ([]byte, error) {
		return manscdp.EncodeConfigDownloadQuery(sn, dev.ID, manscdp.ConfigBasicParam)
	})
	if err != nil {
		return nil, err
	}
	if err := resultOf(msg); err != nil {
		return nil, err
	}
	if msg.BasicParam == nil {
		return nil, fmt.Errorf("%w: ConfigDownload Response of %s without BasicParam", ErrNoAnswer, dev.ID)
	}
	p := *msg.BasicParam
	return &p, nil
}

// ConfigureBasic sets a registered device's basic parameters (DeviceConfig BasicParam)
// and waits for its Result: nil for OK, a ResultError for a refusal. A device that
// accepts the MESSAGE and never answers (some reboot to apply the change) ends in an
// error wrapping ErrNoAnswer when ctx or QueryTimeout ends.
func (s *Server) ConfigureBasic(ctx context.Context, dev DeviceRef, c manscdp.BasicConfig) error {
	msg, err := s.queryOne(ctx, dev, dev.ID, "DeviceConfig", func(sn int) ([]byte, error) {
		return manscdp.EncodeDeviceConfig(sn, dev.ID, c)
	})
	if err != nil {
		return err
	}
	return resultOf(msg)
}

// Control sends a DeviceControl command to channelID of a registered device (the
// device itself when channelID is empty). For the commands a device answers with a
// Result (manscdp.AnsweredWithResult) it waits for it: nil for OK, a ResultError for a
// refusal, ErrNoAnswer (wrapped) when the device accepted the MESSAGE but sent no
// Response in time. For the others the MESSAGE's 2xx is the answer.
func (s *Server) Control(ctx context.Context, dev DeviceRef, channelID string, cmd manscdp.ControlCommand) error {
	if channelID == "" {
		channelID = dev.ID
	}
	body := func(sn int) ([]byte, error) { return manscdp.EncodeDeviceControl(sn, channelID, cmd) }
	if !manscdp.AnsweredWithResult(cmd) {
		if err := s.query(ctx, dev, exchange{cmd: "DeviceControl", target: channelID, body: body}); err != nil {
			return fmt.Errorf("sipd: DeviceControl of %s: %w", channelID, err)
		}
		return nil
	}
	msg, err := s.queryOne(ctx, dev, channelID, "DeviceControl", body)
	if err != nil {
		return err
	}
	return resultOf(msg)
}

// QueryPresets asks a registered device for the presets of channelID (the device itself
// when empty).
func (s *Server) QueryPresets(ctx context.Context, dev DeviceRef, channelID string) (*manscdp.PresetList, error) {
	if channelID == "" {
		channelID = dev.ID
	}
	msg, err := s.queryOne(ctx, dev, channelID, "PresetQuery", func(sn int) ([]byte, error) {
		return manscdp.EncodePresetQuery(sn, channelID), nil
	})
	if err != nil {
		return nil, err
	}
	if msg.Presets == nil {
		// A channel without presets answers an empty list, or none at all.
		return &manscdp.PresetList{DeviceID: channelID}, nil
	}
	p := *msg.Presets
	return &p, nil
}
