// Package camera is the Camera controller, the only writer of Camera status. Its
// workqueue holds device IDs, not Cameras: one device's registration, keepalives and
// query answers decide the status of every Camera claiming its ID (the oldest owns it,
// the others show Conflict), so a device's changes are one item however many Cameras
// name it.
//
// It owns:
//   - the CredentialStore that answers the registrar's per-REGISTER lookups from the
//     informer cache (never from the API server): the owning Camera's Secret, read only
//     for the Secrets Cameras name and kept in a bounded store (secrets.go);
//   - the seeding of the registrar's bindings from Camera status when this replica
//     becomes the leader, so a restarted or failed-over operator keeps serving devices
//     that are still registered (seed.go), which opens the store;
//   - the reconciler: gather the Cameras and the device's state (reconciler.go), build
//     the status (status.go, catalog.go; pure), write only what changed (statusput.go),
//     keepalive-only changes throttled (throttle.go), and record the Events of each
//     transition (events.go) within a budget that yields to status writes
//     (eventbudget.go);
//   - the asynchronous, bounded DeviceInfo/Catalog querier (query.go), which acts only
//     through the registration of the Camera it queries for;
//   - what the querier asks beyond them, once per registration (devicequery.go): the
//     device's status and clock (devicestatus.go), its keepalive settings and their
//     writing (deviceconfig.go), its guard (guard.go) and its presets (presets.go),
//     applied to status in devicedetails.go; and the Controller handle other
//     controllers tell of preset changes (handle.go);
//   - what devices tell on their own (deviceevents.go, the registrar's event handler):
//     the subscriptions of spec.subscriptions, kept off the reconcile path like the
//     queries (subscriptions.go, their status subscriptions_status.go), catalog NOTIFYs
//     applied to status.channels (channelevents.go), and alarms as Events, a metric,
//     status.lastAlarm and the alarm sink (alarms.go);
//   - the cache transform that keeps cached Cameras small (cachetransform.go,
//     cacheintern.go).
package camera
