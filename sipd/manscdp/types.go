package manscdp

// DeviceInfo is a device's answer to a DeviceInfo query.
type DeviceInfo struct {
	DeviceID     string
	DeviceName   string
	Manufacturer string
	Model        string
	Firmware     string
	Channel      int
	Result       string
}

// CatalogItem is one entry of a device's catalog: a channel, or a group or region.
type CatalogItem struct {
	DeviceID     string
	Name         string
	Manufacturer string
	Model        string
	Owner        string
	CivilCode    string
	Address      string
	Parental     int
	ParentID     string
	RegisterWay  int
	Secrecy      int
	Status       string
	// Event is what a subscription's catalog Notify says happened to the item (one of
	// the Event constants); it is empty in a query's Response.
	Event string
}

// Catalog events of a subscription's Notify (GB/T 28181-2016 §9.11.1).
const (
	EventOn     = "ON"     // the channel came online
	EventOff    = "OFF"    // the channel went offline
	EventVLost  = "VLOST"  // video lost
	EventDefect = "DEFECT" // the channel is faulty
	EventAdd    = "ADD"    // a channel was added
	EventDel    = "DEL"    // a channel was removed
	EventUpdate = "UPDATE" // a channel's attributes changed
)

func validEvent(e string) bool {
	switch e {
	case EventOn, EventOff, EventVLost, EventDefect, EventAdd, EventDel, EventUpdate:
		return true
	}
	return false
}

// Catalog is a device's whole (or partial) catalog, joined from its response parts.
type Catalog struct {
	DeviceID string
	// SumNum is the total number of items the device announced.
	SumNum int
	Items  []CatalogItem
}
