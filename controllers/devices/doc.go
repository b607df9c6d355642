// Package devices holds what every controller of the operator needs about GB/T 28181
// devices, whatever it reconciles: the one signal by which a device's changes reach the
// controllers (Changes, the registrar's sipd.Notifier, which also relays what devices
// tell on their own, its sipd.EventHandler), the cache index of Cameras by the
// device ID they claim (AddIndex, CamerasWithID, each Camera under a bucket of its ID:
// package cacheindex), the election of the Camera that owns a
// device ID when several claim it (Elect), the shard a replica serves (ShardSelector,
// LeaseName) and whether an object's Camera is another shard's (CameraOf), the channel
// an object names and whether the Camera's catalog has it (ChannelOf, ChannelKnown), and
// the cleaning of text devices write into status (Clean).
package devices
