package testutil

import (
	"errors"
	"testing"
	"time"
)

// Polling starts fast, for the millisecond answers of a registrar on loopback, and
// slows down to a ceiling, so that a check costing an API round trip does not flood
// the API server while it waits for minutes.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = time.Second
)

// Eventually calls check until it returns nil; when timeout passes first it fails the
// test with what and check's last error.
func Eventually(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := poll(timeout, check); err != nil {
		t.Fatalf("%s: not within %v: %v", what, timeout, err)
	}
}

// EventuallyTrue is Eventually for a condition that has no error to tell.
func EventuallyTrue(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	Eventually(t, timeout, what, func() error {
		if !cond() {
			return errNotYet
		}
		return nil
	})
}

var errNotYet = errors.New("condition still false")

// poll returns nil as soon as check does, or check's last error once timeout passed.
func poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for wait := firstPoll; ; wait = min(2*wait, maxPoll) {
		err := check()
		if err == nil {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		time.Sleep(min(wait, left))
	}
}
