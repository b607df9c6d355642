package camera

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
)

// seeder rebuilds the registrar's bindings from Camera status when this replica becomes
// the leader, then opens the CredentialStore. Camera status is the durable truth about
// registrations; the registrar's table is a cache of it. Without seeding, a restarted
// or new leader would answer every device's next keepalive with 404 and force the whole
// fleet to re-register at once.
type seeder struct {
	cache cache.Cache
	r     *reconciler
}

// NeedLeaderElection: bindings are seeded when leadership is acquired, from the status
// the previous leader wrote up to then.
func (s *seeder) NeedLeaderElection() bool { return true }

// Start seeds once and returns.
func (s *seeder) Start(ctx context.Context) error {
	for _, obj := range []client.Object{&gbv1.Camera{}, secretMetadata()} {
		if _, err := s.cache.GetInformer(ctx, obj); err != nil {
			return fmt.Errorf("seed registrations: start informer for %T: %w", obj, err)
		}
	}
	if !s.cache.WaitForCacheSync(ctx) {
		if ctx.Err() != nil {
			return nil // shutting down before we led
		}
		return errors.New("seed registrations: cache did not sync")
	}
	var list gbv1.CameraList
	// The cache's own objects, not copies: seeding only reads them, and deep copies of a
	// 50,000-Camera fleet are some 50 MB of garbage the moment a replica takes the lead.
	if err := s.cache.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("seed registrations: list Cameras: %w", err)
	}
	bindings := s.r.seedFrom(list.Items)
	s.r.reg.Seed(bindings)
	s.r.store.markReady()
	s.r.logger.Info("seeded the registrar from Camera status", "cameras", len(list.Items), "registrations", len(bindings))
	return nil
}

// seedFrom returns the bindings to seed from cams, each owned by its Camera.
func (r *reconciler) seedFrom(cams []gbv1.Camera) []sipd.Binding {
	byID := make(map[string][]gbv1.Camera)
	for i := range cams {
		byID[cams[i].Spec.DeviceID] = append(byID[cams[i].Spec.DeviceID], cams[i])
	}
	now := r.opts.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var bindings []sipd.Binding
	for id, group := range byID {
		w := devices.Elect(group)
		if w == nil {
			continue
		}
		b, ok := seedBinding(w, r.opts.Shard, now)
		if !ok {
			continue
		}
		bindings = append(bindings, b)
		if w.Status.State == gbv1.StateRegistered {
			r.watchedSince[id] = now
		}
	}
	return bindings
}

// seedBinding is the binding a Camera's status vouches for: a registration that the
// status says is live (Registered or Offline), that has not run out, and that this
// shard accepted (a Camera relabelled from another shard registered with that shard's
// address, not this one's).
func seedBinding(c *gbv1.Camera, shard string, now time.Time) (sipd.Binding, bool) {
	st := c.Status
	if c.Spec.Suspend || st.Shard != shard || st.Registration == nil || !st.Registration.ExpiresAt.After(now) {
		return sipd.Binding{}, false
	}
	if st.State != gbv1.StateRegistered && st.State != gbv1.StateOffline {
		return sipd.Binding{}, false
	}
	b := bindingFromStatus(c.Spec.DeviceID, st.Registration)
	b.Owner = string(c.UID)
	if st.LastKeepaliveTime != nil {
		b.LastKeepalive = st.LastKeepaliveTime.Time
	}
	return b, true
}
