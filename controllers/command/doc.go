// Package command is the CameraCommand controller, the only writer of CameraCommand
// status: one-shot device controls (GB/T 28181 §9.3, DeviceControl) of a Camera's
// device, sent through the registrar on behalf of the Camera that owns the device.
//
// It owns what a command becomes on the wire (control.go: the spec's one command as a
// manscdp.ControlCommand, and the text status.command shows), the order of a Camera's
// commands (queue.go: creation order, one at a time), the bounds on what users can make
// the operator send (ratelimit.go: commands per second per Camera; inflight.go:
// DeviceControl MESSAGEs awaiting an answer in all), the stop that follows every move
// (a finalizer, and status.sentAt + duration across restarts and leaders), and the
// deletion of finished commands after their TTL.
//
// A reconcile gathers the command (from the API server: a cached copy could predate
// this replica's own Sent, and a command must never be sent twice), its Camera, the
// registrar's view and the command's place in its Camera's queue; decides
// (decide.go, pure and table-tested); and acts: at most one DeviceControl, the status
// writes around it, Events (events.go). It acts on a device only through a
// registration its own Camera owns, and leaves a command whose Camera another shard
// serves to that shard (devices.CameraOf).
//
// Presets are the Camera controller's: after a preset is set or deleted, the
// PresetWatcher the operator wires in is told the device ID.
package command
