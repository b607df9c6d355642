// Package sipdtest runs the registrar for real, on loopback, for the tests and
// benchmarks of the packages that embed or drive it (sipd's own, the simulator, the
// controllers, the chart's RBAC test, the bench): a started Server on free ports
// (Start, StartT), in-memory CredentialStores in place of the operator's
// Kubernetes-backed one (Store, whose readiness and per-device credentials a test can
// change, and OnePassword), and a Notifier that records what changed (Changes).
//
// sipd's own tests use it from package sipd_test; what they reach below the exported
// API, sipd's export_test.go lends them.
package sipdtest
