// Package controllers bridges the SIP registrar (package sipd) and the Kubernetes API.
//
// It owns:
//   - the CredentialStore that answers the registrar's per-REGISTER lookups from the
//     informer cache (never from the API server), electing one Camera per device ID;
//   - the seeding of the registrar's bindings from Camera status when this replica
//     becomes the leader, so a restarted or failed-over operator keeps serving devices
//     that are still registered;
//   - the CameraReconciler, the only writer of Camera status: it turns the registrar's
//     view of a device, the Secret it authenticates with and the answers to DeviceInfo
//     and Catalog queries into status, conditions and Kubernetes Events, writing only
//     what changed and throttling keepalive-only updates;
//   - the asynchronous, bounded DeviceInfo/Catalog querier;
//   - the StreamReconciler (stream_*.go), the only writer of Stream status: live video of
//     a Camera's channel by INVITE/ACK/BYE through the registrar, keyed by Stream name,
//     with a finalizer that sends the BYE, and the SSRCs it hands out;
//   - the readiness of a replica, which says it is healthy, not that it leads
//     (readiness.go), and the leader's EndpointSlice of the selector-less SIP Service,
//     pointing at its own pod while its registrar serves, so SIP traffic follows the
//     lease (sipendpoints*.go, docs/ha.md).
//
// Registrar events reach the reconciler through a controller-runtime channel source, so
// the workqueue deduplicates them per Camera and the SIP path never waits on the API.
package controllers
