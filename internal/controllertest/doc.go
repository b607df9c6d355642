// Package controllertest is what the tests of the controllers share across their
// packages: the envtest control plane (started once per test binary), namespaces of
// their own, the EndpointSlice checks of the SIP Service, and fixtures.
package controllertest
