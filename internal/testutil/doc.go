// Package testutil holds the small helpers every test suite of the module needs, so
// that each suite does not grow its own copy with its own argument order.
package testutil
