package dependents

import (
	"context"

	"github.com/gb28181/camera-operator/sipd"
)

// Registrar is what WaitForRegistrar needs of the SIP registrar; *sipd.Server and every
// controller's Registrar implement it.
type Registrar interface {
	// Ready is closed once the registrar serves: it listens only once it leads and has
	// seeded its registrations.
	Ready() <-chan struct{}
}

var _ Registrar = (*sipd.Server)(nil)

// WaitForRegistrar waits until reg serves, or until ctx ends, whose error it returns
// then. A dependent's reconcile starts with it: before the registrar serves, whatever
// it sends fails at once, and what is due (a BYE, a stop, a query) would be given up
// for that.
func WaitForRegistrar(ctx context.Context, reg Registrar) error {
	select {
	case <-reg.Ready():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
