// Package gbid parses GB/T 28181 identifiers: 20 decimal digits made of an 8-digit centre
// code (a GB/T 2260 administrative region), a 2-digit industry code, a 3-digit type code,
// a network digit and a 6-digit serial number. Field devices also register with 18-digit
// IDs or plain SIP user names; those are valid account names but have no type, which is
// why DeviceType returns "" for them instead of guessing.
package gbid

import (
	"errors"
	"fmt"
)

// Length is the number of digits of a GB ID.
const Length = 20

// ErrInvalid is returned by Parse for anything but 20 decimal digits.
var ErrInvalid = errors.New("gbid: not a 20-digit GB ID")

// ID is a parsed GB ID. Every field is the digit string of its part.
type ID struct {
	// Center is the 8-digit centre code: province (2), city (2), district (2), basic
	// unit (2).
	Center string
	// Industry is the 2-digit industry code (00 public security road surveillance, ...).
	Industry string
	// Type is the 3-digit type code (111 DVR, 132 IPC, 200 SIP server, ...).
	Type string
	// Network is the network identifier digit (0-4 surveillance private network, 5 public
	// security network, 6 government network, 7 Internet, 8 social resources network).
	Network string
	// Serial is the 6-digit serial number.
	Serial string
}

// Parse splits id into its parts. It accepts exactly 20 ASCII digits.
func Parse(id string) (ID, error) {
	if len(id) != Length {
		return ID{}, fmt.Errorf("%w: %q has %d characters", ErrInvalid, id, len(id))
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return ID{}, fmt.Errorf("%w: %q has a non-digit at %d", ErrInvalid, id, i)
		}
	}
	return ID{
		Center:   id[0:8],
		Industry: id[8:10],
		Type:     id[10:13],
		Network:  id[13:14],
		Serial:   id[14:20],
	}, nil
}

// String reassembles the 20 digits.
func (id ID) String() string {
	return id.Center + id.Industry + id.Type + id.Network + id.Serial
}

// Domain is the conventional SIP domain / digest realm of the ID: its first 10 digits.
func (id ID) Domain() string { return id.Center + id.Industry }

// DeviceType is the name of the ID's type code, "" when the code is not a known one.
func (id ID) DeviceType() string { return typeNames[id.Type] }

// DeviceType returns the type name of a 20-digit GB ID ("IPC", "NVR", "SIPServer", ...),
// or "" when id is not a GB ID or its type code is not a known one.
func DeviceType(id string) string {
	p, err := Parse(id)
	if err != nil {
		return ""
	}
	return p.DeviceType()
}

// typeNames are the type codes of GB/T 28181-2016 Appendix D. Ranges the standard
// reserves for extensions (119-130, 140-199, ...) have no name.
var typeNames = map[string]string{
	// Front-end main devices.
	"111": "DVR",
	"112": "VideoServer",
	"113": "Encoder",
	"114": "Decoder",
	"115": "VideoSwitchMatrix",
	"116": "AudioSwitchMatrix",
	"117": "AlarmController",
	"118": "NVR",
	// Front-end peripherals.
	"131": "Camera",
	"132": "IPC",
	"133": "Display",
	"134": "AlarmInput",
	"135": "AlarmOutput",
	"136": "AudioInput",
	"137": "AudioOutput",
	"138": "MobileTransmission",
	"139": "OtherPeripheral",
	// Platform devices.
	"200": "SIPServer",
	"201": "WebServer",
	"202": "MediaServer",
	"203": "ProxyServer",
	"204": "SecurityServer",
	"205": "AlarmServer",
	"206": "DatabaseServer",
	"207": "GISServer",
	"208": "ManagementServer",
	"209": "Gateway",
	"210": "StorageServer",
	"211": "SignallingSecurityGateway",
	"215": "BusinessGroup",
	"216": "VirtualOrganization",
	// Users.
	"300": "CenterUser",
	"400": "TerminalUser",
}
