package sipd

import "time"

// EventType says what happened to a device.
type EventType string

// The events the registrar emits.
const (
	EventRegistered   EventType = "Registered"   // a new registration was accepted
	EventRefreshed    EventType = "Refreshed"    // a registration was refreshed
	EventUnregistered EventType = "Unregistered" // the device sent Expires: 0
	EventExpired      EventType = "Expired"      // a registration ran out without a refresh
	EventKeepalive    EventType = "Keepalive"    // a keepalive was recorded
	EventAuthFailed   EventType = "AuthFailed"   // a REGISTER failed authentication
	EventNotify       EventType = "Notify"       // another Notify (Alarm, MediaStatus, ...) arrived
	EventDeviceInfo   EventType = "DeviceInfo"   // a DeviceInfo response arrived
	EventCatalog      EventType = "Catalog"      // a Catalog response completed (or timed out partial)
)

// Event tells the controllers that a device changed. Events are coalesced per device:
// between two receives only the latest event of a device is guaranteed to be delivered,
// so receivers read the device's current state with Server.Device rather than
// reconstructing it from events.
type Event struct {
	Type     EventType
	DeviceID string
	Time     time.Time
	// Reason is a short human explanation (the auth failure's cause, the Notify's CmdType).
	Reason string
}
