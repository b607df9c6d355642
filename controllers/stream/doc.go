// Package stream is the Stream controller, the only writer of Stream status: live video
// (点播) of a Camera's channel by INVITE/ACK/BYE through the registrar, and the playback
// or download of its recordings (playback.go: the offer, the INFOs that steer a
// playback from its spec, steer.go, and the end the device announces), keyed by Stream
// name, with a finalizer that sends the BYE.
//
// A reconcile gathers the Stream (from the cache, or from the API server when the
// cached copy predates this replica's own write, written.go), its Camera and the
// registrar's view, decides (decide.go, pure and table-tested) and acts: BYE, INVITE,
// one status write, an Event per change (events.go). It acts on a device only through a
// registration its own Camera owns, while that Camera is Registered. It owns the SSRCs
// it hands out (ssrc.go), the per-Camera bound of Streams playing or being invited
// (slots.go), and leaves a Stream whose Camera another shard serves to that shard
// (devices.CameraOf).
package stream
