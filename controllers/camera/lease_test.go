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
