package camera

import (
	"context"

	"github.com/go-logr/logr"

	"github.com/gb28181/camera-operator/controllers/devices"
)

// A registration's first queries start when the registrar hears of it, not when the
// reconcile that writes Registered comes. In a storm the workqueue holds the fleet's
// new states for minutes: a query started by that reconcile was answered after its
// write, so every Camera cost two status writes, Registered and then the device's
// answers (50,000 more at 50,000 cameras, written after the fleet showed Registered).
// Started at once, the answers are in by the time the Camera's turn comes, and its one
// write carries both. A device the reconcile reaches before its answers (a quiet
// registrar reconciles at once) is written twice, as before.
//
// The subscriptions the Camera declares are made the same way, from the same look at
// the Camera: made by the reconcile, a storm's subscriptions came at the pace of its
// status writes (10,000 in 64 s, `make bench`'s events phase), and each Camera was
// written again to show them.

// firstQueriesBuffer bounds the registrations waiting to be looked at. When it is full
// the rest are left to their reconcile, which schedules the same queries (later).
const firstQueriesBuffer = 4096

// firstQueries hears every change of state of a device (the registrar's Notify, through
// devices.Changes.AlsoTell) and schedules the querier's first queries of a new
// registration whose Camera owns it. It runs on the leader only, like the querier.
type firstQueries struct {
	r     *reconciler
	heard chan string
	log   logr.Logger
}

func newFirstQueries(r *reconciler, log logr.Logger) *firstQueries {
	return &firstQueries{r: r, heard: make(chan string, firstQueriesBuffer), log: log}
}

// Notify implements sipd.Notifier. It never blocks: it is called on the SIP path.
func (f *firstQueries) Notify(deviceID string) {
	select {
	case f.heard <- deviceID:
	default:
	}
}

// NeedLeaderElection: only the leader's registrar hears devices.
func (f *firstQueries) NeedLeaderElection() bool { return true }

// Start looks at each device heard until ctx ends.
func (f *firstQueries) Start(ctx context.Context) error {
	// Before the registrar is seeded the reconcile owns every decision.
	select {
	case <-f.r.store.Ready():
	case <-ctx.Done():
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-f.heard:
			f.schedule(ctx, id)
		}
	}
}

// schedule asks the querier for deviceID's queries, and the subscriber for its
// subscriptions, when the device holds a registration made with the credentials of the
// Camera that owns its ID, exactly as that Camera's reconcile would (querier.due and
// subscriber.due make the second ask a no-op).
func (f *firstQueries) schedule(ctx context.Context, deviceID string) {
	b := f.r.reg.Device(deviceID).Binding
	if b == nil {
		return
	}
	cams, err := devices.CamerasWithID(ctx, f.r.reader, deviceID)
	if err != nil {
		f.log.V(1).Info("cannot look up the Camera of a registration; its reconcile will query it", "deviceID", deviceID, "error", err.Error())
		return
	}
	winner := devices.Elect(cams)
	if winner == nil || winner.Spec.Suspend || b.Owner != string(winner.UID) {
		return // the reconcile drops it, or shows why it is not served
	}
	f.r.queries.due(queryWantOf(winner, b, f.r.opts.MaxPresetChannels))
	f.r.events.due(winner, b, f.r.opts.now())
}
