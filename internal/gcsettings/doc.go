// Package gcsettings owns the operator's Go garbage-collector settings: how far the heap
// may grow over what is live before a collection (GOGC), and the soft memory limit
// (GOMEMLIMIT) taken from the container's memory limit. The environment's GOGC and
// GOMEMLIMIT, when set, always win.
//
// A registrar's heap is mostly long-lived: the cached Cameras, their indexes and the
// bindings of every registered device. At Go's default GOGC=100 the heap grows to twice
// that before each collection, and the process's RSS follows it, so a shard needs
// memory for two copies of its fleet. A lower target keeps the RSS nearer what is live
// for a little more collector CPU (docs/scaling.md measures both), and the memory limit
// makes the collector work harder, rather than the kernel kill the pod, when a burst
// brings the heap near the container's limit.
package gcsettings
