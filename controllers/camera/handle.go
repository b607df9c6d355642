package camera

// Controller is the handle other controllers hold of the Camera controller, which Setup
// returns: through it they say what they changed on a device, so that its Camera's
// status shows it.
type Controller struct {
	queries *querier
	// notify signals a device through the Camera controller's device-change signal.
	notify func(deviceID string)
}

// PresetsChanged tells that deviceID's PTZ presets changed (a preset was set or
// deleted): the device's presets are asked again, and status.channels[].presets shows
// them. It returns at once; the query runs on the querier, behind the first queries of
// new registrations. A device this replica does not query (not registered, or another
// replica leads) is ignored: its presets are asked after its next registration anyway.
func (c *Controller) PresetsChanged(deviceID string) {
	if c.queries.presetsChanged(deviceID) {
		c.notify(deviceID)
	}
}
