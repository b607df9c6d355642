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
}

// Catalog is a device's whole (or partial) catalog, joined from its response parts.
type Catalog struct {
	DeviceID string
	// SumNum is the total number of items the device announced.
	SumNum int
	Items  []CatalogItem
}
