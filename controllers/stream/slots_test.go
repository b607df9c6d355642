package stream

import (
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// TestStreamSlots: concurrent INVITEs of one Camera's Streams never pass the bound,
// counting the dialogs the cache shows and the INVITEs other reconciles are making;
// another Camera's Streams are not affected, and a released slot is free again.
func TestStreamSlots(t *testing.T) {
	const limit = 3
	s := newStreamSlots()
	var granted sync.Map
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := types.UID("stream-" + string(rune('a'+i)))
			if _, ok := s.claim("cam", uid, []types.UID{"playing"}, limit); ok {
				granted.Store(uid, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	granted.Range(func(any, any) bool { n++; return true })
	if n != limit-1 {
		t.Errorf("%d of 20 concurrent INVITEs granted beside 1 playing Stream, bound %d", n, limit)
	}
	if _, ok := s.claim("other", "x", nil, limit); !ok {
		t.Error("another Camera's Stream refused")
	}
	granted.Range(func(k, _ any) bool {
		s.release(k.(types.UID))
		return false
	})
	if _, ok := s.claim("cam", "late", []types.UID{"playing"}, limit); !ok {
		t.Error("no slot after a release")
	}
	// A Stream already holding a slot, and seen playing by the cache, is counted once.
	if busy, ok := s.claim("cam", "late", []types.UID{"playing", "late"}, limit); !ok || busy != limit-1 {
		t.Errorf("re-claim of a held slot: busy %d ok %v", busy, ok)
	}
}

// TestReportBoundsMessage: a device's long answer cannot make a Stream's status too
// large to write.
func TestReportBoundsMessage(t *testing.T) {
	st := &gbv1.Stream{}
	report(st, gbv1.StreamFailed, gbv1.ReasonRejected, "the device answered 486 "+strings.Repeat("Busy ", 10000))
	if n := len(readyMessage(st)); n > maxConditionMessage {
		t.Errorf("Ready message of %d bytes, bound %d", n, maxConditionMessage)
	}
}
