package dependents

import (
	"context"
	"errors"
	"testing"
)

// readyChan is a registrar that serves once ready is closed.
type readyChan chan struct{}

func (r readyChan) Ready() <-chan struct{} { return r }

// TestWaitForRegistrar: the wait ends when the registrar serves, or with the context's
// error when the context ends first.
func TestWaitForRegistrar(t *testing.T) {
	serving := make(readyChan)
	close(serving)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		reg  readyChan
		want error
	}{
		{"the registrar serves", t.Context(), serving, nil},
		{"not serving, and the context ends", cancelled, make(readyChan), context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := WaitForRegistrar(tc.ctx, tc.reg); !errors.Is(err, tc.want) {
				t.Errorf("WaitForRegistrar: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestWaitForRegistrarWaits: the wait lasts until the registrar serves.
func TestWaitForRegistrarWaits(t *testing.T) {
	reg := make(readyChan)
	done := make(chan error, 1)
	go func() { done <- WaitForRegistrar(t.Context(), reg) }()
	select {
	case err := <-done:
		t.Fatalf("the wait ended (%v) before the registrar served", err)
	default:
	}
	close(reg)
	if err := <-done; err != nil {
		t.Fatalf("WaitForRegistrar once the registrar serves: %v", err)
	}
}
