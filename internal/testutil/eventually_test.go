package testutil

import (
	"errors"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	errBusy := errors.New("busy")
	tests := []struct {
		name      string
		succeedAt int // the call that first returns nil; 0 never
		timeout   time.Duration
		wantErr   error
		wantCalls int // exact, or the least when the timeout ends it
	}{
		{name: "true at once", succeedAt: 1, timeout: time.Second, wantCalls: 1},
		{name: "true at the third call", succeedAt: 3, timeout: 5 * time.Second, wantCalls: 3},
		{name: "never true: the last error", succeedAt: 0, timeout: 50 * time.Millisecond, wantErr: errBusy, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := poll(tt.timeout, func() error {
				calls++
				if calls == tt.succeedAt {
					return nil
				}
				return errBusy
			})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("poll returned %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && calls != tt.wantCalls || tt.wantErr != nil && calls < tt.wantCalls {
				t.Errorf("check called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}
