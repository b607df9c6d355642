// Package recording is the RecordingQuery controller, the only writer of RecordingQuery
// status: it asks a Camera's device which recordings it holds of a channel in a span of
// time (GB/T 28181 §9.7, RecordInfo) and writes the answer, keyed by query name.
//
// A query is one-shot, as a Job is. A reconcile gathers the query, its Camera and the
// registrar's view of the device, decides (decide.go, pure and table-tested) whether to
// wait (Pending: the Camera is missing, not registered, or its queries are at their
// bound), send, fail, keep a finished query or delete it once its
// ttlSecondsAfterFinished ran out (ttl.go), and acts. Sending writes Running, waits for
// the answer's parts through the registrar (sipd.Server.QueryRecordInfo, at most
// Options.QueryTimeout) and writes one status (outcome.go): the items read in the
// device's zone, deduplicated, sorted by start and cut to 1000, their merged coverage of
// the span and a summary (items.go), Complete, Partial or Failed. It records an Event
// per change of phase or reason (events.go).
//
// Its cached copies hold no items or coverage (cachetransform.go): finished queries'
// answers stay in the API server, not in the operator's memory.
//
// It owns the bounds of queries in flight, per Camera and in all (slots.go): a query
// holds a reconcile worker while it waits, so the workers are the bound in all plus a
// few for the queries that are not sent. It acts on a device only through a
// registration its own Camera owns, and leaves a query whose Camera another shard
// serves to that shard (devices.CameraOf). A query found Running with no answer awaited (the
// operator restarted, or another replica led) is sent again.
package recording
