package sipd

import (
	"testing"
	"time"
)

func TestReplayTrackerBoundAndEviction(t *testing.T) {
	lifetime := 140 * time.Second
	tr := newReplayTracker(lifetime, 3)
	width := tr.widthMs
	// Three nonces from three time slots fill the tracker.
	for i := int64(0); i < 3; i++ {
		if v, _ := tr.check(nonceUse{nonce: string(rune('a' + i)), issuedMs: i * width, qop: true, nc: 1, origin: replayOrigin{tx: 1}}, 3*width, 1000); v != replayOK {
			t.Fatalf("nonce %d: %v", i, v)
		}
	}
	// A fourth evicts the oldest slot; the evicted nonce is then stale, never unseen.
	if v, _ := tr.check(nonceUse{nonce: "d", issuedMs: 3 * width, qop: true, nc: 1, origin: replayOrigin{tx: 1}}, 3*width, 1000); v != replayOK {
		t.Fatalf("fourth: %v", v)
	}
	if tr.size() > 3 {
		t.Errorf("size %d over bound", tr.size())
	}
	if v, _ := tr.check(nonceUse{nonce: "a", issuedMs: 0, qop: true, nc: 2, origin: replayOrigin{tx: 2}}, 3*width, 1000); v != replayLost {
		t.Errorf("evicted nonce: %v, want lost", v)
	}
	if v, _ := tr.check(nonceUse{nonce: "b", issuedMs: width, qop: true, nc: 1, origin: replayOrigin{tx: 9}}, 3*width, 1000); v != replayReused {
		t.Errorf("repeated nc: %v", v)
	}
}
