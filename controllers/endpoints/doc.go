// Package endpoints runs the registrar on the elected leader and, when the SIP Service
// has no selector, publishes the leader's pod as its one endpoint: an EndpointSlice
// written by the lease holder only, withdrawn before the registrar stops (publisher.go),
// whose content is a pure function of this replica's pod (slice.go). See docs/ha.md.
package endpoints
