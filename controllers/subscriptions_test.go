package controllers

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// The subscriptions a Camera declares, against camsim devices in process: made after
// the device registers, shown in status.subscriptions and the Subscribed condition,
// their catalog NOTIFYs applied to status.channels, made again after a new registration
// or an operator restart, ended when the spec drops them or the Camera goes away, and
// replaced by polling when the device refuses them.

// subscribedCamera creates a Camera for id declaring subs (a catalog refreshed every
// hour, keepalives every minute) and registers a camsim device configured by cfg for it.
func subscribedCamera(t *testing.T, c client.Client, op *operator, ns, name, id string, cfg sim.Config, subs gbv1.SubscriptionsSpec) *sim.Device {
	t.Helper()
	createSecret(t, c, ns, name+"-sip", map[string]string{"password": "pw"})
	createCamera(t, c, ns, name, id, name+"-sip", func(cam *gbv1.Camera) {
		cam.Spec.Keepalive.Interval = &metav1.Duration{Duration: time.Minute}
		cam.Spec.Subscriptions = subs
	})
	waitKnown(t, op, id)
	return registerSim(t, op, id, cfg)
}

// registerSim registers a camsim device configured by cfg as id with op.
func registerSim(t *testing.T, op *operator, id string, cfg sim.Config) *sim.Device {
	t.Helper()
	cfg.ID, cfg.Password, cfg.Server, cfg.LocalIP = id, "pw", op.addr(), "127.0.0.1"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	dev, err := sim.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	if _, err := dev.Register(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return dev
}

// subscribed checks the Subscribed condition's status and reason and the states of
// status.subscriptions, in the order Catalog, Alarm, MobilePosition.
func subscribed(status metav1.ConditionStatus, reason string, states ...gbv1.SubscriptionState) func(*gbv1.Camera) error {
	return func(cam *gbv1.Camera) error {
		var got []gbv1.SubscriptionState
		for _, s := range cam.Status.Subscriptions {
			got = append(got, s.State)
		}
		if !slices.Equal(got, states) {
			return fmt.Errorf("subscriptions %+v, want states %v", cam.Status.Subscriptions, states)
		}
		for _, c := range cam.Status.Conditions {
			if c.Type == gbv1.ConditionSubscribed {
				if c.Status != status || c.Reason != reason {
					return fmt.Errorf("Subscribed %s/%s (%s), want %s/%s", c.Status, c.Reason, c.Message, status, reason)
				}
				return nil
			}
		}
		return fmt.Errorf("no Subscribed condition in %+v", cam.Status.Conditions)
	}
}

// deviceSubscriptions waits until dev holds the subscriptions of kinds (in any order)
// and returns them.
func deviceSubscriptions(t *testing.T, dev *sim.Device, kinds ...string) []sim.SubscriptionInfo {
	t.Helper()
	var subs []sim.SubscriptionInfo
	testutil.Eventually(t, 15*time.Second, "the device's subscriptions", func() error {
		subs = dev.Subscriptions()
		var got []string
		for _, s := range subs {
			got = append(got, s.Kind)
		}
		slices.Sort(got)
		want := slices.Clone(kinds)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("device subscriptions %v, want %v", got, want)
		}
		return nil
	})
	return subs
}

// channelStatus checks the status of the channel id.
func channelStatus(id, status string) func(*gbv1.Camera) error {
	return func(cam *gbv1.Camera) error {
		for _, ch := range cam.Status.Channels {
			if ch.ID == id {
				if ch.Status != status {
					return fmt.Errorf("channel %s is %s, want %s", id, ch.Status, status)
				}
				return nil
			}
		}
		return fmt.Errorf("no channel %s in %d", id, len(cam.Status.Channels))
	}
}

// TestCatalogSubscriptionUpdatesChannels: a Camera declaring a catalog subscription is
// subscribed once its NVR registers (Subscribed True, the subscription Active with its
// expiry), and the NVR's catalog NOTIFYs change status.channels within seconds: its
// first channel going OFF and ON again, a channel added and removed (channelCount
// following), while the catalog is polled only hourly.
func TestCatalogSubscriptionUpdatesChannels(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const nvr = "34020000001180000301"
	subscribedCamera(t, c, op, ns, "nvr", nvr, sim.Config{Channels: 2,
		Subscriptions: sim.SubscriptionConfig{CatalogFlap: 3 * time.Second, CatalogChurn: 4 * time.Second}},
		gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}})

	cam := waitCamera(t, c, ns, "nvr", 15*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive))
	if s := cam.Status.Subscriptions[0]; s.Event != gbv1.SubscriptionCatalog || s.ExpiresAt == nil || time.Until(s.ExpiresAt.Time) < 50*time.Minute {
		t.Errorf("catalog subscription %+v, want it to run out in about an hour", s)
	}

	flapped := sim.ChannelID(nvr, 2, 0)
	waitCamera(t, c, ns, "nvr", 10*time.Second, channelStatus(flapped, "OFF"))
	waitCamera(t, c, ns, "nvr", 10*time.Second, channelStatus(flapped, "ON"))

	known := []string{sim.ChannelID(nvr, 2, 0), sim.ChannelID(nvr, 2, 1)}
	added := ""
	waitCamera(t, c, ns, "nvr", 10*time.Second, func(cam *gbv1.Camera) error {
		for _, ch := range cam.Status.Channels {
			if !slices.Contains(known, ch.ID) {
				added = ch.ID
			}
		}
		if added == "" || cam.Status.ChannelCount != 3 {
			return fmt.Errorf("channels %d (count %d), want a third one added", len(cam.Status.Channels), cam.Status.ChannelCount)
		}
		return nil
	})
	waitCamera(t, c, ns, "nvr", 10*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.ChannelCount != 2 || slices.ContainsFunc(cam.Status.Channels, func(ch gbv1.Channel) bool { return ch.ID == added }) {
			return fmt.Errorf("channels %d (count %d), want %s removed", len(cam.Status.Channels), cam.Status.ChannelCount, added)
		}
		return nil
	})
}

// TestRefusedSubscriptionFallsBackToPolling: a device that refuses subscriptions (489,
// as old firmware does) leaves them Refused with the device's answer, the Subscribed
// condition False with reason Polling saying the catalog is polled, and the channels
// filled by the catalog query all the same.
func TestRefusedSubscriptionFallsBackToPolling(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const nvr = "34020000001180000302"
	subscribedCamera(t, c, op, ns, "old-nvr", nvr, sim.Config{Channels: 3, Subscriptions: sim.SubscriptionConfig{Refuse: 489}},
		gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}, Alarm: &gbv1.AlarmSubscriptionSpec{}})

	cam := waitCamera(t, c, ns, "old-nvr", 15*time.Second, subscribed(metav1.ConditionFalse, gbv1.ReasonPolling, gbv1.SubscriptionRefused, gbv1.SubscriptionRefused))
	for _, s := range cam.Status.Subscriptions {
		if !strings.Contains(s.Reason, "489") {
			t.Errorf("%s refused for %q, want the device's 489", s.Event, s.Reason)
		}
	}
	if msg := conditionOf(cam, gbv1.ConditionSubscribed).Message; !strings.Contains(msg, "polled every 1h0m0s") {
		t.Errorf("Subscribed says %q, want that the catalog is polled", msg)
	}
	waitCamera(t, c, ns, "old-nvr", 15*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.ChannelCount != 3 || len(cam.Status.Channels) != 3 {
			return fmt.Errorf("%d channels (count %d), want the polled 3", len(cam.Status.Channels), cam.Status.ChannelCount)
		}
		return nil
	})
}

func conditionOf(cam *gbv1.Camera, typ string) metav1.Condition {
	for _, c := range cam.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

// TestResubscribeAfterReregistration: a device that comes back with a new registration
// (it rebooted, and lost its subscriptions) is subscribed again.
func TestResubscribeAfterReregistration(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const id = "34020000001320000303"
	first := subscribedCamera(t, c, op, ns, "ipc", id, sim.Config{}, gbv1.SubscriptionsSpec{Alarm: &gbv1.AlarmSubscriptionSpec{}})
	deviceSubscriptions(t, first, "Alarm")
	before := waitCamera(t, c, ns, "ipc", 15*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive))

	// The device loses power: its subscriptions go with it; it registers anew.
	_ = first.Close()
	second := registerSim(t, op, id, sim.Config{})
	deviceSubscriptions(t, second, "Alarm")
	waitCamera(t, c, ns, "ipc", 15*time.Second, func(cam *gbv1.Camera) error {
		if cam.Status.Registration == nil || cam.Status.Registration.RemoteAddr == before.Status.Registration.RemoteAddr {
			return fmt.Errorf("registration %+v, want the new one", cam.Status.Registration)
		}
		return subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive)(cam)
	})
}

// TestResubscribeAfterOperatorRestart: a new operator subscribes again (the old one's
// dialogs died with it), and the device's catalog changes keep reaching the status.
func TestResubscribeAfterOperatorRestart(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	first := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns})
	const nvr = "34020000001180000304"
	dev := subscribedCamera(t, c, first, ns, "nvr", nvr, sim.Config{Channels: 2, Subscriptions: sim.SubscriptionConfig{CatalogFlap: 3 * time.Second}},
		gbv1.SubscriptionsSpec{Catalog: &gbv1.SubscriptionSpec{}})
	old := deviceSubscriptions(t, dev, "Catalog")[0]
	waitCamera(t, c, ns, "nvr", 15*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive))

	addr := first.addr()
	first.stop(t)
	second := startOperator(t, operatorConfig{namespaces: []string{ns}, leaseNamespace: ns, listen: addr})
	if second.addr() != addr {
		t.Fatalf("restarted on %s, want %s", second.addr(), addr)
	}
	testutil.Eventually(t, 15*time.Second, "a new subscription", func() error {
		for _, s := range dev.Subscriptions() {
			if s.Kind == "Catalog" && s.CallID != old.CallID {
				return nil
			}
		}
		return fmt.Errorf("device subscriptions %+v, want one made after the restart", dev.Subscriptions())
	})
	// The old dialog's NOTIFYs get 481 from the new operator, and the device drops it.
	deviceSubscriptions(t, dev, "Catalog")
	flapped := sim.ChannelID(nvr, 2, 0)
	waitCamera(t, c, ns, "nvr", 10*time.Second, channelStatus(flapped, "OFF"))
	waitCamera(t, c, ns, "nvr", 10*time.Second, channelStatus(flapped, "ON"))
	waitCamera(t, c, ns, "nvr", 5*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive))
}

// TestUnsubscribeWhenDroppedOrDeleted: dropping a subscription from the spec ends it on
// the device (the others stay), and deleting the Camera ends the rest.
func TestUnsubscribeWhenDroppedOrDeleted(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const id = "34020000001320000305"
	dev := subscribedCamera(t, c, op, ns, "car", id, sim.Config{}, gbv1.SubscriptionsSpec{
		Catalog:        &gbv1.SubscriptionSpec{},
		Alarm:          &gbv1.AlarmSubscriptionSpec{},
		MobilePosition: &gbv1.MobilePositionSubscriptionSpec{Interval: &metav1.Duration{Duration: time.Second}},
	})
	deviceSubscriptions(t, dev, "Catalog", "Alarm", "MobilePosition")
	waitCamera(t, c, ns, "car", 15*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed,
		gbv1.SubscriptionActive, gbv1.SubscriptionActive, gbv1.SubscriptionActive))
	// Positions every second: lastNotifyAt is set.
	waitCamera(t, c, ns, "car", 15*time.Second, func(cam *gbv1.Camera) error {
		if s := cam.Status.Subscriptions[2]; s.LastNotifyAt == nil {
			return fmt.Errorf("position subscription %+v without lastNotifyAt", s)
		}
		return nil
	})

	updateCamera(t, c, ns, "car", func(cam *gbv1.Camera) { cam.Spec.Subscriptions.MobilePosition = nil })
	deviceSubscriptions(t, dev, "Catalog", "Alarm")
	waitCamera(t, c, ns, "car", 10*time.Second, subscribed(metav1.ConditionTrue, gbv1.ReasonSubscribed, gbv1.SubscriptionActive, gbv1.SubscriptionActive))

	deleteObject(t, c, getCamera(t, c, ns, "car"))
	deviceSubscriptions(t, dev)
}

// TestNoSubscriptionsNoCondition: a Camera declaring no subscription has neither
// status.subscriptions nor a Subscribed condition, and its device gets no SUBSCRIBE.
func TestNoSubscriptionsNoCondition(t *testing.T) {
	t.Parallel()
	c := controlPlane(t)
	ns := newNamespace(t, c)
	op := startOperator(t, operatorConfig{namespaces: []string{ns}})
	const id = "34020000001320000306"
	dev := subscribedCamera(t, c, op, ns, "plain", id, sim.Config{}, gbv1.SubscriptionsSpec{})
	cam := waitCamera(t, c, ns, "plain", 10*time.Second, inState(gbv1.StateRegistered, gbv1.ConditionReady, gbv1.ReasonRegistered))
	time.Sleep(time.Second)
	cam = getCamera(t, c, ns, cam.Name)
	if len(cam.Status.Subscriptions) != 0 || conditionOf(cam, gbv1.ConditionSubscribed).Type != "" {
		t.Errorf("subscriptions %+v, conditions %+v", cam.Status.Subscriptions, cam.Status.Conditions)
	}
	if got := dev.Subscriptions(); len(got) != 0 {
		t.Errorf("the device got subscriptions %+v", got)
	}
}
