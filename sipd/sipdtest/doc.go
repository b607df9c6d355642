// Package sipdtest runs the registrar for real, on 127.0.0.1, for the tests and
// benchmarks of the packages that embed or drive it (the simulator, the controllers, the
// chart's RBAC test, the bench): a started Server on free ports, and a static in-memory
// CredentialStore in place of the operator's Kubernetes-backed one.
//
// sipd's own tests (package sipd) cannot import it, as it imports sipd; they keep their
// in-package helpers.
package sipdtest
