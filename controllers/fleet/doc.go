// Package fleet exports what the fleet looks like as Prometheus gauges: the Cameras and
// the Streams of each namespace by state. They are counted from the manager's cache on
// each scrape, so they cannot drift from the objects, and only by the replica that
// leads: standbys export none, so that a sum over replicas counts each object once.
package fleet
