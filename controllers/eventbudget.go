package controllers

import (
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// budgetedRecorder records Kubernetes Events within a budget shared by all Cameras:
// past it, Events are dropped and counted. When a whole site powers up, ten thousand
// devices register within seconds; their status writes are the truth users need, and
// ten thousand "Registered" Events created at the same time would halve the rate at
// which the API server takes them. The per-Camera story in `kubectl describe` stays
// complete in normal operation, where changes come far below the budget.
type budgetedRecorder struct {
	next    events.EventRecorder
	budget  *rate.Limiter
	dropped func()
}

func newBudgetedRecorder(next events.EventRecorder, perSecond float64, burst int, dropped func()) events.EventRecorder {
	return &budgetedRecorder{next: next, budget: rate.NewLimiter(rate.Limit(perSecond), burst), dropped: dropped}
}

// Eventf implements events.EventRecorder.
func (r *budgetedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if !r.budget.Allow() {
		r.dropped()
		return
	}
	r.next.Eventf(regarding, related, eventtype, reason, action, note, args...)
}
