package sim

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A device's basic parameters (GB/T 28181-2016 A.2.5, BasicParam): its name, its
// registration lifetime, its keepalive interval and the keepalives it may miss. The
// platform reads them with ConfigDownload and writes them with DeviceConfig; the device
// applies what it is given to its own schedule at once: a new keepalive interval counts
// from the last keepalive, a new lifetime applies from the next REGISTER.

// basicSettings are the parameters a DeviceConfig can change, guarded by Device.mu. A
// device holds them only once a DeviceConfig came; until then they are its Config's.
type basicSettings struct {
	name      string // "" keeps the generated name
	expires   time.Duration
	keepalive time.Duration
	maxMiss   int
}

// Bounds of what a DeviceConfig may set: a device refuses values it could not live by.
const (
	maxHeartBeatInterval = 24 * time.Hour
	maxExpiration        = 7 * 24 * time.Hour
	maxHeartBeatCount    = 100
	maxDeviceNameBytes   = 64
)

func (d *Device) settings() basicSettings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settingsLocked()
}

func (d *Device) settingsLocked() basicSettings {
	if d.basic != nil {
		return *d.basic
	}
	return basicSettings{expires: d.cfg.Expires, keepalive: d.cfg.KeepaliveInterval, maxMiss: d.cfg.KeepaliveMaxMiss}
}

// KeepaliveInterval is the device's keepalive period now (Config.KeepaliveInterval until
// a DeviceConfig changes it).
func (d *Device) KeepaliveInterval() time.Duration { return d.settings().keepalive }

// basicParam is the device's ConfigDownload answer.
func (d *Device) basicParam() manscdp.BasicParam {
	s := d.settings()
	host, portText, _ := net.SplitHostPort(d.ep.serverAddr)
	port, _ := strconv.Atoi(portText)
	return manscdp.BasicParam{
		Name:              d.Info().DeviceName,
		DeviceID:          d.cfg.ID,
		SIPServerID:       d.cfg.ServerID,
		SIPServerIP:       host,
		SIPServerPort:     port,
		DomainName:        d.cfg.Domain,
		Expiration:        int(s.expires / time.Second),
		HeartBeatInterval: max(int(s.keepalive/time.Second), 1),
		HeartBeatCount:    s.maxMiss,
	}
}

// answerConfigDownload answers a ConfigDownload query: BasicParam is simulated; a query
// naming only other blocks (VideoParamOpt, SVAC...) gets Result ERROR. Platforms may
// ask for several blocks at once ("BasicParam/VideoParamOpt").
func (d *Device) answerConfigDownload(ctx context.Context, m *manscdp.Message) error {
	wantsBasic := false
	for _, t := range strings.Split(m.ConfigType, "/") {
		if strings.EqualFold(strings.TrimSpace(t), string(manscdp.ConfigBasicParam)) {
			wantsBasic = true
		}
	}
	if !wantsBasic {
		d.log.Info("ConfigDownload of a block not simulated", "configType", m.ConfigType)
		body, err := manscdp.Encode("Response", "ConfigDownload", m.SN, d.cfg.ID, []manscdp.Field{{Name: "Result", Value: manscdp.ResultError}}, d.cfg.Charset)
		if err != nil {
			return err
		}
		return d.sendMessage(ctx, body)
	}
	body, err := manscdp.EncodeConfigDownloadResponse(m.SN, d.cfg.ID, d.basicParam(), d.cfg.Charset)
	if err != nil {
		return err
	}
	return d.sendMessage(ctx, body)
}

// applyConfig applies a DeviceConfig's BasicParam: every field given or none. A zero
// field keeps the device's value, as the standard says.
func (d *Device) applyConfig(p *manscdp.BasicParam) error {
	if p == nil {
		return fmt.Errorf("sim: DeviceConfig without a BasicParam block")
	}
	if len(p.Name) > maxDeviceNameBytes {
		return fmt.Errorf("sim: name of %d bytes, at most %d", len(p.Name), maxDeviceNameBytes)
	}
	interval := time.Duration(p.HeartBeatInterval) * time.Second
	expires := time.Duration(p.Expiration) * time.Second
	switch {
	case p.HeartBeatInterval < 0 || interval > maxHeartBeatInterval:
		return fmt.Errorf("sim: HeartBeatInterval %d out of range", p.HeartBeatInterval)
	case p.Expiration < 0 || expires > maxExpiration:
		return fmt.Errorf("sim: Expiration %d out of range", p.Expiration)
	case p.HeartBeatCount < 0 || p.HeartBeatCount > maxHeartBeatCount:
		return fmt.Errorf("sim: HeartBeatCount %d out of range", p.HeartBeatCount)
	}
	d.mu.Lock()
	s := d.settingsLocked()
	if p.Name != "" {
		s.name = p.Name
	}
	if interval > 0 {
		s.keepalive = interval
	}
	if expires > 0 {
		s.expires = expires
	}
	if p.HeartBeatCount > 0 {
		s.maxMiss = p.HeartBeatCount
	}
	d.basic = &s
	d.mu.Unlock()
	// Whatever runs the device's life recomputes its next keepalive now.
	d.wake()
	return nil
}
