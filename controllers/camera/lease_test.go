package camera

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestLeasesRefusedForWantOfPermission: a refusal for want of permission sends liveness to
// the status alone for forbiddenRetry, rather than a refused request and a log line per
// Camera; other errors do not.
func TestLeasesRefusedForWantOfPermission(t *testing.T) {
	ls := &leases{logger: logr.Discard()}
	leasesGR := schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	ls.refused(fmt.Errorf("renew: %w", apierrors.NewConflict(leasesGR, "cam", errors.New("modified"))), t0)
	if !ls.usable(t0) {
		t.Fatal("a conflict made Leases unusable")
	}
	forbidden := fmt.Errorf("read the Lease: %w", apierrors.NewForbidden(leasesGR, "cam", errors.New("RBAC")))
	ls.refused(forbidden, t0)
	if ls.usable(t0.Add(forbiddenRetry - time.Second)) {
		t.Errorf("Leases usable %v after a refusal for want of permission", forbiddenRetry-time.Second)
	}
	// A refusal seen meanwhile does not push the retry further.
	ls.refused(forbidden, t0.Add(time.Minute))
	if !ls.usable(t0.Add(forbiddenRetry)) {
		t.Errorf("Leases not tried again %v after the refusal", forbiddenRetry)
	}
}

// TestLeaseSpread: a new leader takes the liveness of a fleet to have been recorded over
// the last interval, each device at its own moment and always the same one, so that the
// first Lease renewals after it took over come spread over an interval.
func TestLeaseSpread(t *testing.T) {
	const interval = 5 * time.Minute
	var tenths [10]int
	for i := range 1000 {
		id := fmt.Sprintf("3402000000132%07d", i)
		at := leaseSpread(id, t0, interval)
		if at.After(t0) || !at.After(t0.Add(-interval)) {
			t.Fatalf("%s: %s, want within the interval before now", id, at.Sub(t0))
		}
		if again := leaseSpread(id, t0, interval); !again.Equal(at) {
			t.Fatalf("%s: %s, then %s", id, at.Sub(t0), again.Sub(t0))
		}
		tenths[int(t0.Sub(at)*10/interval)]++
	}
	for i, n := range tenths {
		if n < 50 { // 100 expected in each tenth
			t.Errorf("%d of 1000 devices in tenth %d of the interval: %v", n, i, tenths)
		}
	}
}
