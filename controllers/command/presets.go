package command

// PresetWatcher learns that a device's presets changed: a CameraCommand set or deleted
// one. The Camera controller keeps the presets in status.channels[].presets and asks the
// device again when told; the operator wires it in (Options.Presets).
type PresetWatcher interface {
	PresetsChanged(deviceID string)
}

// presetsChanged tells the watcher, if any, after a preset set or delete succeeded.
func (r *reconciler) presetsChanged(ctl control, deviceID string) {
	if ctl.presetsChange && r.opts.Presets != nil {
		r.opts.Presets.PresetsChanged(deviceID)
	}
}
