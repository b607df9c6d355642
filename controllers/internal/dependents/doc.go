// Package dependents holds the steps that the controllers of a Camera's dependents take
// alike. A dependent names a Camera of its namespace (spec.cameraRef) and has the
// operator act on that Camera's device through the registrar: a Stream, a CameraCommand,
// a RecordingQuery. Each of their controllers keeps its own gather, decide and act; this
// package owns only what they do the same way: the cache index of dependents by the
// Camera they name (a cacheindex.Index, keyed by the Camera's namespace and name) and
// the watch that brings them back when it changes (index.go), the wait for the
// registrar before a reconcile (registrar.go), the status write that keeps a status
// only the reconcile knows across a conflict (status.go), and the logger of a reconcile
// request (logger.go). Reading the Camera a dependent names, and telling whether
// another shard serves it, is devices.CameraOf's.
package dependents
