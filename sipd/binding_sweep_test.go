package sipd_test

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

func TestExpiry(t *testing.T) {
	store := devStore()
	clock, changes := testutil.NewClock(time.Now()), sipdtest.NewChanges()
	s := sipdtest.StartT(t, sipd.Config{SweepInterval: 10 * time.Millisecond, Now: clock.Now, Notifier: changes}, store)
	d := device(t, s, "udp", devID, devPW)
	d.Expires = 60
	if res, err := d.Register(testCtx(t)); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	changes.Wait(t, devID)
	if st := s.Device(devID); st.Binding == nil {
		t.Fatalf("not registered: %+v", st)
	}
	clock.Advance(61 * time.Second)
	changes.Wait(t, devID)
	st := s.Device(devID)
	if st.Binding != nil || st.LastExpired.IsZero() {
		t.Fatalf("after expiry: %+v", st)
	}
}
