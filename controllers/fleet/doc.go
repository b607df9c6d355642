// Package fleet exports what the fleet looks like as Prometheus gauges: the Cameras and
// the Streams of each namespace by state. Handlers on the manager's informers keep the
// counts as each object is added, changed or deleted, so they follow the cache's objects
// and a scrape costs the same at 50 Cameras as at 50,000; they are exported only by the
// replica that leads, so that a sum over replicas counts each object once, and only once
// the informer has delivered its first list.
package fleet
