package controllers

import (
	"testing"

	"k8s.io/client-go/tools/events"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestEventBudget: Events beyond the budget are dropped and counted, not queued.
func TestEventBudget(t *testing.T) {
	fake := events.NewFakeRecorder(10)
	dropped := 0
	r := newBudgetedRecorder(fake, 0.001, 2, func() { dropped++ })
	for range 5 {
		r.Eventf(&gbv1.Camera{}, nil, "Normal", EventRegistered, actionRegister, "registered")
	}
	if got := len(fake.Events); got != 2 || dropped != 3 {
		t.Fatalf("%d Events recorded and %d dropped, want 2 and 3", got, dropped)
	}
}
