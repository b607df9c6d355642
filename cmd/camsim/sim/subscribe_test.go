package sim_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/testutil"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestCatalogSubscription runs a catalog subscription's whole dialog: the 200 with the
// granted Expires, a To tag and Result OK; the first NOTIFY with the whole catalog; the
// flap's OFF and ON of the first channel and the churn's ADD and DEL, in the dialog with
// rising CSeqs; a refresh; Expires: 0 ending it with NOTIFY terminated, after which
// nothing more comes.
func TestCatalogSubscription(t *testing.T) {
	p := newGBPlatform(t)
	const nvr = "34020000001180000001"
	dev := newPlatformDevice(t, p, sim.Config{ID: nvr, Channels: 2,
		Subscriptions: sim.SubscriptionConfig{CatalogFlap: 400 * time.Millisecond, CatalogChurn: 600 * time.Millisecond}})

	res, dl := p.subscribe(dev, "Catalog", 60, manscdp.EncodeCatalogQuery(p.nextSN(), nvr))
	if res.StatusCode != sip.StatusOK || dl.toTag == "" || hdr(res.GetHeader("Expires")) != "60" {
		t.Fatalf("SUBSCRIBE answered %d, To tag %q, Expires %q", res.StatusCode, dl.toTag, hdr(res.GetHeader("Expires")))
	}
	if m, err := manscdp.Decode(res.Body(), ""); err != nil || m.Result != "OK" || m.CmdType != "Catalog" {
		t.Errorf("200 body %q (%v), want a Catalog Response with Result OK", res.Body(), err)
	}
	if got := dev.Subscriptions(); len(got) != 1 || got[0].Kind != "Catalog" || got[0].CallID != dl.callID {
		t.Errorf("device subscriptions %+v", got)
	}

	var lastCSeq uint32
	inDialog := func(what string) inbound {
		t.Helper()
		in := p.expect(what, 3*time.Second, isNotify(dl.callID))
		from, _ := in.req.From().Params.Get("tag")
		to, _ := in.req.To().Params.Get("tag")
		if from != dl.toTag || to != dl.fromTag || hdr(in.req.GetHeader("Event")) != "Catalog" {
			t.Errorf("%s out of the dialog: tags %s/%s, Event %q", what, from, to, hdr(in.req.GetHeader("Event")))
		}
		if c := in.req.CSeq().SeqNo; c <= lastCSeq {
			t.Errorf("%s CSeq %d after %d", what, c, lastCSeq)
		} else {
			lastCSeq = c
		}
		return in
	}

	expectWholeCatalog(t, inDialog)

	expectCatalogEvents(t, dev, nvr, inDialog)

	if res := p.resubscribe(dev, dl, "Catalog", 120); res.StatusCode != sip.StatusOK || hdr(res.GetHeader("Expires")) != "120" {
		t.Fatalf("refresh answered %d, Expires %q", res.StatusCode, hdr(res.GetHeader("Expires")))
	}
	if exp := dev.Subscriptions()[0].Expires; time.Until(exp) < 100*time.Second {
		t.Errorf("after the refresh the subscription runs out at %v", exp)
	}

	if res := p.resubscribe(dev, dl, "Catalog", 0); res.StatusCode != sip.StatusOK || hdr(res.GetHeader("Expires")) != "0" {
		t.Fatalf("unsubscribe answered %d, Expires %q", res.StatusCode, hdr(res.GetHeader("Expires")))
	}
	// Events may be in flight; the terminated NOTIFY comes, and then nothing.
	for {
		in := inDialog("terminated NOTIFY")
		if state, _ := subscriptionState(in.req); state == "terminated" {
			break
		}
	}
	p.expectNone("NOTIFY after the end", time.Second, isNotify(dl.callID))
	if got := dev.Subscriptions(); len(got) != 0 {
		t.Errorf("subscriptions after the end: %+v", got)
	}
	if res := p.resubscribe(dev, dl, "Catalog", 60); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
		t.Errorf("refreshing an ended subscription answered %d, want 481", res.StatusCode)
	}
}

// expectWholeCatalog reads the first NOTIFY, active with an expiry, and the parts of
// the whole catalog it starts.
func expectWholeCatalog(t *testing.T, inDialog func(string) inbound) {
	t.Helper()
	first := inDialog("first NOTIFY")
	if state, params := subscriptionState(first.req); state != "active" || params["expires"] == "" {
		t.Errorf("Subscription-State %q", hdr(first.req.GetHeader("Subscription-State")))
	}
	if first.msg == nil || first.msg.Catalog == nil || first.msg.Catalog.SumNum < 2 {
		t.Fatalf("first NOTIFY %+v, want the whole catalog", first.msg)
	}
	// Over UDP the catalog comes in parts, each with its SumNum.
	for got := len(first.msg.Catalog.Items); got < first.msg.Catalog.SumNum; {
		part := inDialog("catalog part")
		if part.msg == nil || part.msg.Catalog == nil || part.msg.Catalog.SumNum != first.msg.Catalog.SumNum {
			t.Fatalf("catalog part %+v", part.msg)
		}
		got += len(part.msg.Catalog.Items)
	}
}

// expectCatalogEvents reads NOTIFYs until the flap's OFF then ON of nvr's first
// channel and the churn's ADD then DEL of one channel came.
func expectCatalogEvents(t *testing.T, dev *sim.Device, nvr string, inDialog func(string) inbound) {
	t.Helper()
	seen := map[string]bool{}
	flapChannel, added := sim.ChannelID(nvr, 2, 0), ""
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) < 4 && time.Now().Before(deadline) {
		in := inDialog("catalog event")
		if in.msg == nil || in.msg.Catalog == nil {
			t.Fatalf("event NOTIFY without a catalog: %s", in.req.Body())
		}
		for _, it := range in.msg.Catalog.Items {
			switch it.Event {
			case manscdp.EventOff, manscdp.EventOn:
				if it.DeviceID != flapChannel {
					t.Errorf("%s of %s, want the first channel", it.Event, it.DeviceID)
				}
			case manscdp.EventAdd, manscdp.EventDel:
				if added == "" {
					added = it.DeviceID
				} else if it.DeviceID != added {
					t.Errorf("%s of %s, the added channel was %s", it.Event, it.DeviceID, added)
				}
				if it.Event == manscdp.EventAdd && !containsItem(dev.Catalog(), added) && !seen[manscdp.EventDel] {
					t.Errorf("ADD of %s, but the catalog does not list it", added)
				}
			default:
				t.Errorf("event %q", it.Event)
			}
			seen[it.Event] = true
		}
	}
	if len(seen) < 4 {
		t.Errorf("events seen %v, want ON, OFF, ADD and DEL", seen)
	}

}

func containsItem(items []manscdp.CatalogItem, id string) bool {
	for _, it := range items {
		if it.DeviceID == id {
			return true
		}
	}
	return false
}

func hdr(h sip.Header) string {
	if h == nil {
		return ""
	}
	return h.Value()
}

// TestSubscriptionExpires: a subscription not refreshed ends with NOTIFY
// terminated;reason=timeout when its time is up.
func TestSubscriptionExpires(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	res, dl := p.subscribe(dev, "Catalog", 1, manscdp.EncodeCatalogQuery(p.nextSN(), dev.ID()))
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE answered %d", res.StatusCode)
	}
	p.expect("first NOTIFY", 2*time.Second, isNotify(dl.callID))
	in := p.expect("NOTIFY at expiry", 3*time.Second, isNotify(dl.callID))
	if state, params := subscriptionState(in.req); state != "terminated" || params["reason"] != "timeout" {
		t.Errorf("Subscription-State %q at expiry", hdr(in.req.GetHeader("Subscription-State")))
	}
	testutil.EventuallyTrue(t, time.Second, "subscription forgotten", func() bool { return len(dev.Subscriptions()) == 0 })
}

// TestSubscriptionRefused: a device configured like old firmware refuses every
// SUBSCRIBE with the configured status; a SUBSCRIBE for an event the device does not
// know gets 489; an in-dialog SUBSCRIBE of no dialog gets 481; a new one on a live
// dialog's Call-ID gets 400.
func TestSubscriptionRefused(t *testing.T) {
	for _, code := range []int{489, 501} {
		p := newGBPlatform(t)
		dev := newPlatformDevice(t, p, sim.Config{Subscriptions: sim.SubscriptionConfig{Refuse: code}})
		if res, _ := p.subscribe(dev, "Catalog", 60, manscdp.EncodeCatalogQuery(p.nextSN(), dev.ID())); res.StatusCode != code {
			t.Errorf("refusing with %d: answered %d", code, res.StatusCode)
		}
		if len(dev.Subscriptions()) != 0 {
			t.Errorf("refusing with %d: a subscription was kept", code)
		}
	}
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	if res, _ := p.subscribe(dev, "dialog", 60, nil); res.StatusCode != 489 {
		t.Errorf("unknown event package answered %d, want 489", res.StatusCode)
	}
	stray := &dialog{target: dev.ID(), callID: newCallID(), fromTag: "x", toTag: "nosuch", cseq: 1}
	if res := p.resubscribe(dev, stray, "Catalog", 60); res.StatusCode != sip.StatusCallTransactionDoesNotExists {
		t.Errorf("in-dialog SUBSCRIBE of no dialog answered %d, want 481", res.StatusCode)
	}
	// A new SUBSCRIBE reusing a live dialog's Call-ID under another From tag makes no
	// second subscription.
	_, live := p.subscribe(dev, "Catalog", 60, manscdp.EncodeCatalogQuery(p.nextSN(), dev.ID()))
	reuse := &dialog{target: dev.ID(), callID: live.callID, fromTag: "other", cseq: 1}
	if res := p.do(p.subscribeRequest(dev, reuse, "Catalog", 60, manscdp.EncodeCatalogQuery(p.nextSN(), dev.ID()))); res.StatusCode != sip.StatusBadRequest {
		t.Errorf("a second subscription on a live Call-ID answered %d, want 400", res.StatusCode)
	}
	if n := len(dev.Subscriptions()); n != 1 {
		t.Errorf("%d subscriptions, want 1", n)
	}
}

// TestSubscriptionsBounded: past Subscriptions.Max the device answers 503, and takes a
// new one once an old one ended.
func TestSubscriptionsBounded(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{Subscriptions: sim.SubscriptionConfig{Max: 2}})
	body := func() []byte { return manscdp.EncodeCatalogQuery(p.nextSN(), dev.ID()) }
	_, first := p.subscribe(dev, "Catalog", 60, body())
	p.subscribe(dev, "Catalog", 60, body())
	if res, _ := p.subscribe(dev, "Catalog", 60, body()); res.StatusCode != sip.StatusServiceUnavailable {
		t.Fatalf("third subscription answered %d, want 503", res.StatusCode)
	}
	if n := len(dev.Subscriptions()); n != 2 {
		t.Errorf("%d subscriptions kept, want 2", n)
	}
	p.resubscribe(dev, first, "Catalog", 0)
	if res, _ := p.subscribe(dev, "Catalog", 60, body()); res.StatusCode != sip.StatusOK {
		t.Errorf("a subscription after one ended answered %d", res.StatusCode)
	}
}

// TestAlarmSubscription: an alarm subscription gets nothing while the device is
// disarmed; once armed, alarms come in its NOTIFYs with their priority, method, type,
// channel, time and description, only those its query's priorities admit, and none
// goes by MESSAGE while the subscription lives.
func TestAlarmSubscription(t *testing.T) {
	p := newGBPlatform(t)
	const nvr = "34020000001180000001"
	dev := newPlatformDevice(t, p, sim.Config{ID: nvr, Channels: 3, Alarms: sim.AlarmConfig{Interval: 150 * time.Millisecond}})
	query, err := manscdp.EncodeAlarmQuery(p.nextSN(), manscdp.AlarmQuery{DeviceID: nvr, StartPriority: 1, EndPriority: 2}, sim.ChinaStandardTime)
	if err != nil {
		t.Fatal(err)
	}
	res, dl := p.subscribe(dev, "presence", 60, query)
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("alarm SUBSCRIBE answered %d", res.StatusCode)
	}
	p.expect("first NOTIFY", 2*time.Second, isNotify(dl.callID))
	p.expectNone("alarm while disarmed", 500*time.Millisecond, isNotify(dl.callID))

	if r := p.control(dev, nvr, manscdp.GuardSet); r != "OK" {
		t.Fatalf("SetGuard answered %q", r)
	}
	channels := map[string]bool{}
	for range 4 {
		in := p.expect("alarm NOTIFY", 3*time.Second, isNotify(dl.callID))
		a := in.msg.Alarm
		if in.msg.CmdType != "Alarm" || a == nil {
			t.Fatalf("NOTIFY %s, want an alarm", in.req.Body())
		}
		if a.Priority < 1 || a.Priority > 2 {
			t.Errorf("alarm of priority %d passed a 1-2 subscription", a.Priority)
		}
		if a.Method != manscdp.AlarmMethodVideo && a.Method != manscdp.AlarmMethodDevice || a.Type == 0 || a.Description == "" {
			t.Errorf("alarm %+v", *a)
		}
		if at, err := manscdp.ParseTime(a.Time, sim.ChinaStandardTime); err != nil || time.Since(at).Abs() > 2*time.Second {
			t.Errorf("alarm time %q", a.Time)
		}
		channels[in.msg.DeviceID] = true
	}
	if len(channels) < 2 {
		t.Errorf("alarms from channels %v, want them spread over the channels", channels)
	}
	p.expectNone("alarm by MESSAGE beside a subscription", 300*time.Millisecond, isMessageNotify("Alarm"))
	if st := dev.State(); len(st.Alarming) == 0 {
		t.Error("no channel alarming after alarms")
	}
}

// TestAlarmsByMessage: without an alarm subscription an armed device sends its alarms
// by MESSAGE; DeviceStatus shows the channel ALARM until an AlarmCmd ResetAlarm; with
// WithoutGuard the device alarms without being armed.
func TestAlarmsByMessage(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{Alarms: sim.AlarmConfig{Interval: 150 * time.Millisecond}})
	p.expectNone("alarm while disarmed", 500*time.Millisecond, isMessageNotify("Alarm"))
	p.control(dev, dev.ID(), manscdp.GuardSet)
	in := p.expect("alarm MESSAGE", 2*time.Second, isMessageNotify("Alarm"))
	if in.msg.Alarm == nil || in.msg.DeviceID != dev.ID() {
		t.Fatalf("alarm %+v", in.msg)
	}
	duty := func() string {
		sn := p.nextSN()
		return p.ask(dev, dev.ID(), sn, "DeviceStatus", manscdp.EncodeDeviceStatusQuery(sn, dev.ID())).DeviceStatus.Alarms[0].DutyStatus
	}
	if d := duty(); d != manscdp.DutyAlarm {
		t.Errorf("duty %q after an alarm, want ALARM", d)
	}
	p.control(dev, dev.ID(), manscdp.GuardReset)
	p.control(dev, dev.ID(), manscdp.ResetAlarm{})
	if d := duty(); d != manscdp.DutyOff {
		t.Errorf("duty %q after ResetGuard and ResetAlarm, want OFFDUTY", d)
	}
	// Alarms already under way may still arrive; then none.
	time.Sleep(300 * time.Millisecond)
	for {
		if _, ok := p.take(0, isMessageNotify("Alarm")); !ok {
			break
		}
	}
	p.expectNone("alarm after disarming", 500*time.Millisecond, isMessageNotify("Alarm"))

	p2 := newGBPlatform(t)
	eager := newPlatformDevice(t, p2, sim.Config{ID: "34020000001320000002", Alarms: sim.AlarmConfig{Interval: 150 * time.Millisecond, WithoutGuard: true}})
	p2.expect("alarm of a device that alarms unarmed", 2*time.Second, isMessageNotify("Alarm"))
	if eager.Armed() {
		t.Error("the unarmed device reports itself armed")
	}
}

// TestMobilePositionSubscription: positions come at the interval the SUBSCRIBE asked,
// each a different point with its time.
func TestMobilePositionSubscription(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	body, err := manscdp.EncodeMobilePositionQuery(p.nextSN(), dev.ID(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	res, dl := p.subscribe(dev, "MobilePosition", 60, body)
	if res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE answered %d", res.StatusCode)
	}
	var last inbound
	for i := range 3 {
		in := p.expect("position NOTIFY "+strconv.Itoa(i), 3*time.Second, isNotify(dl.callID))
		pos := in.msg.Position
		if pos == nil || pos.Longitude == 0 || pos.Latitude == 0 || pos.Time == "" || pos.DeviceID != dev.ID() {
			t.Fatalf("position %+v", in.msg)
		}
		if i > 0 {
			if gap := in.at.Sub(last.at); gap < 500*time.Millisecond || gap > 2500*time.Millisecond {
				t.Errorf("positions %v apart, want the 1s interval", gap)
			}
			if *pos == *last.msg.Position {
				t.Error("the position did not change")
			}
		}
		last = in
	}
}

// TestNotify481EndsSubscription: a platform answering 481 to a NOTIFY has forgotten the
// dialog; the device forgets it too.
func TestNotify481EndsSubscription(t *testing.T) {
	p := newGBPlatform(t)
	dev := newPlatformDevice(t, p, sim.Config{})
	p.answerNotifies(sip.StatusCallTransactionDoesNotExists)
	body, _ := manscdp.EncodeMobilePositionQuery(p.nextSN(), dev.ID(), time.Second)
	if res, _ := p.subscribe(dev, "MobilePosition", 60, body); res.StatusCode != sip.StatusOK {
		t.Fatalf("SUBSCRIBE answered %d", res.StatusCode)
	}
	testutil.EventuallyTrue(t, 3*time.Second, "subscription forgotten after a 481", func() bool { return len(dev.Subscriptions()) == 0 })
}
