package camera

import (
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// statusBacklogForEvents is the number of devices waiting in the workqueue above which
// Events yield to status writes. In normal operation the queue is near empty; when a
// site powers up it holds thousands.
const statusBacklogForEvents = 100

// budgetedRecorder records Kubernetes Events within a budget shared by all Cameras, and
// only while status writes are not backlogged; otherwise Events are dropped and counted.
// When a whole site powers up, ten thousand devices register within seconds; their
// status writes are the truth users need, and every Event created meanwhile is a write
// the API server does instead of a status (the bench counted 4,000 to 7,000 of them
// beside 10,000 status writes before Events yielded), and an object the client's event
// broadcaster keeps for six minutes to detect series. The per-Camera story in
// `kubectl describe` stays complete in normal operation, where changes come one by one.
type budgetedRecorder struct {
	next    events.EventRecorder
	budget  *rate.Limiter
	backlog func() int // devices waiting for a status write
	dropped func()
}

func newBudgetedRecorder(next events.EventRecorder, perSecond float64, burst int, backlog func() int, dropped func()) events.EventRecorder {
	return &budgetedRecorder{next: next, budget: rate.NewLimiter(rate.Limit(perSecond), burst), backlog: backlog, dropped: dropped}
}

// Eventf implements events.EventRecorder.
func (r *budgetedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if r.backlog() > statusBacklogForEvents || !r.budget.Allow() {
		r.dropped()
		return
	}
	r.next.Eventf(regarding, related, eventtype, reason, action, note, args...)
}
