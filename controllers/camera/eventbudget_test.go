package camera

import (
	"testing"

	"k8s.io/client-go/tools/events"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestEventBudget: Events beyond the budget, or due while status writes are
// backlogged, are dropped and counted, not queued.
func TestEventBudget(t *testing.T) {
	tests := []struct {
		name            string
		budget, backlog int
		events          int
		recorded        int
	}{
		{name: "within the budget", budget: 10, backlog: 0, events: 5, recorded: 5},
		{name: "beyond the budget", budget: 2, backlog: 0, events: 5, recorded: 2},
		{name: "a short queue", budget: 10, backlog: statusBacklogForEvents, events: 5, recorded: 5},
		{name: "status writes backlogged", budget: 10, backlog: statusBacklogForEvents + 1, events: 5, recorded: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := events.NewFakeRecorder(10)
			dropped := 0
			r := newBudgetedRecorder(fake, 0.001, tt.budget, func() int { return tt.backlog }, func() { dropped++ })
			for range tt.events {
				r.Eventf(&gbv1.Camera{}, nil, "Normal", eventRegistered, actionRegister, "registered")
			}
			if got := len(fake.Events); got != tt.recorded || dropped != tt.events-tt.recorded {
				t.Fatalf("%d Events recorded and %d dropped, want %d and %d", got, dropped, tt.recorded, tt.events-tt.recorded)
			}
		})
	}
}

// TestBacklogYieldKeepsBudget: an Event dropped because of the backlog does not spend
// the budget, so the Events of normal operation that follow are recorded.
func TestBacklogYieldKeepsBudget(t *testing.T) {
	fake := events.NewFakeRecorder(10)
	backlog := statusBacklogForEvents + 1
	r := newBudgetedRecorder(fake, 0.001, 2, func() int { return backlog }, func() {})
	for range 5 {
		r.Eventf(&gbv1.Camera{}, nil, "Normal", eventRegistered, actionRegister, "registered")
	}
	backlog = 0
	for range 2 {
		r.Eventf(&gbv1.Camera{}, nil, "Normal", eventRegistered, actionRegister, "registered")
	}
	if got := len(fake.Events); got != 2 {
		t.Fatalf("%d Events recorded after the backlog cleared, want 2", got)
	}
}
