package manscdp

import (
	"fmt"
	"strings"
)

// A device's configuration (GB/T 28181-2016 A.2.4.7 ConfigDownload, A.2.3.2
// DeviceConfig). The platform reads it with
// <Query><CmdType>ConfigDownload</CmdType>…<ConfigType>BasicParam</ConfigType></Query>
// and the device answers with a <BasicParam> block; the platform writes part of that
// block back with <Control><CmdType>DeviceConfig</CmdType>…<BasicParam>…</BasicParam>
// and the device answers <Result>OK</Result>. Vendors differ: some need the DeviceID in
// the body (always written), some reboot without answering.

// ConfigType names a block of ConfigDownload.
type ConfigType string

// The configuration blocks of GB/T 28181-2016.
const (
	ConfigBasicParam       ConfigType = "BasicParam"
	ConfigVideoParamOpt    ConfigType = "VideoParamOpt"
	ConfigSVACEncodeConfig ConfigType = "SVACEncodeConfig"
	ConfigSVACDecodeConfig ConfigType = "SVACDecodeConfig"
)

// BasicParam is a device's basic configuration as its ConfigDownload answer carries it,
// or the part of it a DeviceConfig body sets. Absent numbers read as 0.
type BasicParam struct {
	Name          string
	DeviceID      string
	SIPServerID   string
	SIPServerIP   string
	SIPServerPort int
	DomainName    string
	// Expiration is the registration expiry in seconds.
	Expiration int
	// Password is the registration password; few devices disclose it.
	Password string
	// HeartBeatInterval is the keepalive interval in seconds; HeartBeatCount the
	// keepalives missed before the device counts as offline.
	HeartBeatInterval int
	HeartBeatCount    int
	// PositionCapability: 0 none, 1 GPS, 2 BeiDou.
	PositionCapability int
	Longitude          float64
	Latitude           float64
}

func decodeBasicParam(root *element, m *Message) {
	p := root.child("BasicParam")
	if p == nil {
		return
	}
	m.BasicParam = &BasicParam{
		Name:               p.field("Name"),
		DeviceID:           p.field("DeviceID"),
		SIPServerID:        p.field("SIPServerID"),
		SIPServerIP:        p.field("SIPServerIP"),
		SIPServerPort:      p.lenientInt("SIPServerPort"),
		DomainName:         p.field("DomainName"),
		Expiration:         p.lenientInt("Expiration"),
		Password:           p.field("Password"),
		HeartBeatInterval:  p.lenientInt("HeartBeatInterval"),
		HeartBeatCount:     p.lenientInt("HeartBeatCount"),
		PositionCapability: p.lenientInt("PositionCapability"),
		Longitude:          p.lenientFloat("Longitude"),
		Latitude:           p.lenientFloat("Latitude"),
	}
}

// EncodeConfigDownloadQuery writes a platform's ConfigDownload query for one block.
func EncodeConfigDownloadQuery(sn int, deviceID string, configType ConfigType) ([]byte, error) {
	if err := needID("ConfigDownload query", deviceID); err != nil {
		return nil, err
	}
	switch configType {
	case ConfigBasicParam, ConfigVideoParamOpt, ConfigSVACEncodeConfig, ConfigSVACDecodeConfig:
	default:
		return nil, fmt.Errorf("%w: ConfigType %q", ErrInvalid, truncate(string(configType)))
	}
	var b strings.Builder
	header(&b, "Query", "ConfigDownload", sn, deviceID)
	elem(&b, "ConfigType", string(configType))
	closeTag(&b, "Query")
	return platformBody(&b)
}

// BasicConfig is what a platform's DeviceConfig sets of a device's BasicParam. A zero
// field is left out, so the device keeps its value; at least one must be set.
type BasicConfig struct {
	Name              string
	Expiration        int
	HeartBeatInterval int
	HeartBeatCount    int
}

// EncodeDeviceConfig writes a platform's DeviceConfig control setting basic parameters.
func EncodeDeviceConfig(sn int, deviceID string, c BasicConfig) ([]byte, error) {
	if err := needID("DeviceConfig", deviceID); err != nil {
		return nil, err
	}
	if c == (BasicConfig{}) {
		return nil, fmt.Errorf("%w: DeviceConfig sets nothing", ErrInvalid)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Expiration", c.Expiration}, {"HeartBeatInterval", c.HeartBeatInterval}, {"HeartBeatCount", c.HeartBeatCount}} {
		if f.v < 0 {
			return nil, fmt.Errorf("%w: negative %s %d", ErrInvalid, f.name, f.v)
		}
	}
	var b strings.Builder
	header(&b, "Control", "DeviceConfig", sn, deviceID)
	open(&b, "BasicParam")
	elemIf(&b, "Name", c.Name)
	positive(&b, "Expiration", c.Expiration)
	positive(&b, "HeartBeatInterval", c.HeartBeatInterval)
	positive(&b, "HeartBeatCount", c.HeartBeatCount)
	closeTag(&b, "BasicParam")
	closeTag(&b, "Control")
	return platformBody(&b)
}

func positive(b *strings.Builder, name string, v int) {
	if v > 0 {
		elemInt(b, name, v)
	}
}

// EncodeConfigDownloadResponse writes a device's BasicParam answer to a ConfigDownload
// query. Name, Expiration, HeartBeatInterval and HeartBeatCount are always written;
// the other fields when set.
func EncodeConfigDownloadResponse(sn int, deviceID string, p BasicParam, charset string) ([]byte, error) {
	if err := needID("ConfigDownload response", deviceID); err != nil {
		return nil, err
	}
	if err := inRange("SIPServerPort", p.SIPServerPort, 0, 65535); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Expiration", p.Expiration}, {"HeartBeatInterval", p.HeartBeatInterval}, {"HeartBeatCount", p.HeartBeatCount}, {"PositionCapability", p.PositionCapability}} {
		if f.v < 0 {
			return nil, fmt.Errorf("%w: negative %s %d", ErrInvalid, f.name, f.v)
		}
	}
	var b strings.Builder
	header(&b, "Response", "ConfigDownload", sn, deviceID)
	elem(&b, "Result", ResultOK)
	open(&b, "BasicParam")
	elem(&b, "Name", p.Name)
	elemIf(&b, "DeviceID", p.DeviceID)
	elemIf(&b, "SIPServerID", p.SIPServerID)
	elemIf(&b, "SIPServerIP", p.SIPServerIP)
	positive(&b, "SIPServerPort", p.SIPServerPort)
	elemIf(&b, "DomainName", p.DomainName)
	elemInt(&b, "Expiration", p.Expiration)
	elemIf(&b, "Password", p.Password)
	elemInt(&b, "HeartBeatInterval", p.HeartBeatInterval)
	elemInt(&b, "HeartBeatCount", p.HeartBeatCount)
	positive(&b, "PositionCapability", p.PositionCapability)
	if p.Longitude != 0 || p.Latitude != 0 {
		elemFloat(&b, "Longitude", p.Longitude)
		elemFloat(&b, "Latitude", p.Latitude)
	}
	closeTag(&b, "BasicParam")
	closeTag(&b, "Response")
	return finish(&b, charset)
}
