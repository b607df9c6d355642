package sipd_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// eventLog is a sipd.EventHandler that keeps what it is told, for a test to wait on.
type eventLog struct {
	ch chan sipd.Event
	// hold, when set, is waited on before each event is taken: a slow handler.
	hold chan struct{}
}

func newEventLog() *eventLog { return &eventLog{ch: make(chan sipd.Event, 1024)} }

func (l *eventLog) HandleEvent(ev sipd.Event) {
	if l.hold != nil {
		<-l.hold
	}
	l.ch <- ev
}

// next waits for the next event that match accepts, skipping others.
func (l *eventLog) next(t *testing.T, what string, match func(sipd.Event) bool) sipd.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-l.ch:
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", what)
		}
	}
}

// none fails t if an event match accepts arrives within d.
func (l *eventLog) none(t *testing.T, what string, d time.Duration, match func(sipd.Event) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-l.ch:
			if match(ev) {
				t.Fatalf("unexpected %s event: %+v", what, ev)
			}
		case <-deadline:
			return
		}
	}
}

func ofKind(k sipd.EventKind) func(sipd.Event) bool {
	return func(ev sipd.Event) bool { return ev.Kind == k }
}

// subscribableDevice registers a camsim device configured by cfg with s over transport.
func subscribableDevice(t *testing.T, s *sipd.Server, store *sipdtest.Store, transport string, cfg sim.Config) *sim.Device {
	t.Helper()
	store.SetPassword(devID, devPW)
	cfg.ID, cfg.Password, cfg.Server, cfg.Transport, cfg.LocalIP, cfg.Logger = devID, devPW, sipdtest.Addr(s, transport), transport, "127.0.0.1", quietLogger()
	d, err := sim.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Register(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSubscribeCatalog runs a catalog subscription with a camsim NVR over both
// transports: the SUBSCRIBE is accepted with the asked lifetime; the whole catalog and
// then the first channel's OFF and ON reach the event handler; a refresh within the
// dialog moves the device's expiry; Expires: 0 ends it on the device, and its last
// NOTIFY is answered without an event.
func TestSubscribeCatalog(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			store, events := sipdtest.NewStore(nil), newEventLog()
			s := sipdtest.StartT(t, sipd.Config{Events: events}, store)
			d := subscribableDevice(t, s, store, transport, sim.Config{Channels: 2,
				Subscriptions: sim.SubscriptionConfig{CatalogFlap: 300 * time.Millisecond}})
			sub, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: sipd.SubscribeCatalog, Expires: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if sub.Event != "Catalog" || sub.RemoteTag == "" || sub.RemoteTarget == "" || sub.Expires != time.Minute || time.Until(sub.ExpiresAt) < 50*time.Second {
				t.Errorf("subscription %+v", sub)
			}
			if got := d.Subscriptions(); len(got) != 1 || got[0].CallID != sub.CallID || got[0].Kind != "Catalog" {
				t.Fatalf("device subscriptions %+v", got)
			}
			if !s.SubscriptionLive(sub.CallID) {
				t.Error("the registrar does not hold the subscription it made")
			}

			// The whole catalog first, over UDP in parts.
			whole := map[string]bool{}
			for len(whole) < 2 {
				ev := events.next(t, "whole catalog", ofKind(sipd.EventCatalog))
				if ev.DeviceID != devID || ev.CallID != sub.CallID || ev.Subscription != sipd.SubscribeCatalog {
					t.Fatalf("catalog event %+v, want one of the subscription", ev)
				}
				for _, it := range ev.Catalog {
					whole[it.DeviceID] = true
				}
			}
			flapped := sim.ChannelID(devID, 2, 0)
			for _, want := range []string{manscdp.EventOff, manscdp.EventOn} {
				events.next(t, want, func(ev sipd.Event) bool {
					return ev.Kind == sipd.EventCatalog && len(ev.Catalog) == 1 && ev.Catalog[0].DeviceID == flapped && ev.Catalog[0].Event == want
				})
			}

			refreshed, err := s.RefreshSubscription(testCtx(t), sub)
			if err != nil {
				t.Fatal(err)
			}
			if refreshed.CSeq <= sub.CSeq || !refreshed.ExpiresAt.After(sub.ExpiresAt) {
				t.Errorf("refreshed %+v after %+v", refreshed, sub)
			}

			if err := s.Unsubscribe(testCtx(t), refreshed); err != nil {
				t.Fatal(err)
			}
			if got := d.Subscriptions(); len(got) != 0 {
				t.Errorf("device subscriptions after the unsubscribe: %+v", got)
			}
			if s.SubscriptionLive(sub.CallID) {
				t.Error("the registrar holds the subscription after the unsubscribe")
			}
			events.none(t, "end of an unsubscribed subscription", time.Second, ofKind(sipd.EventSubscriptionEnded))
		})
	}
}

// TestSubscribeAlarmAndPosition: an alarm subscription asks the device for its
// priorities and methods under Event: presence, and the armed camsim device's alarms
// arrive in its NOTIFYs; a position subscription reports every interval.
func TestSubscribeAlarmAndPosition(t *testing.T) {
	store, events := sipdtest.NewStore(nil), newEventLog()
	s := sipdtest.StartT(t, sipd.Config{Events: events}, store)
	d := subscribableDevice(t, s, store, "udp", sim.Config{Alarms: sim.AlarmConfig{Interval: 150 * time.Millisecond, WithoutGuard: true}})
	dev := sipd.DeviceRef{ID: devID}
	alarms, err := s.Subscribe(testCtx(t), dev, sipd.SubscribeRequest{Kind: sipd.SubscribeAlarm, Expires: time.Minute, MinPriority: 1, MaxPriority: 4, Methods: []int{manscdp.AlarmMethodVideo}})
	if err != nil {
		t.Fatal(err)
	}
	if alarms.Event != "presence" {
		t.Errorf("alarm subscription under Event %q, want presence", alarms.Event)
	}
	ev := events.next(t, "alarm", ofKind(sipd.EventAlarm))
	if ev.CallID != alarms.CallID || ev.Alarm.Method != manscdp.AlarmMethodVideo || ev.Alarm.Priority < 1 {
		t.Errorf("alarm event %+v (%+v), want a video alarm in the subscription", ev, ev.Alarm)
	}
	positions, err := s.Subscribe(testCtx(t), dev, sipd.SubscribeRequest{Kind: sipd.SubscribeMobilePosition, Expires: time.Minute, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first at once, the next after the interval
		ev := events.next(t, "position", ofKind(sipd.EventPosition))
		if ev.CallID != positions.CallID || ev.Position.DeviceID != devID || ev.Position.Longitude == 0 {
			t.Errorf("position event %+v (%+v)", ev, ev.Position)
		}
	}
	if got := len(d.Subscriptions()); got != 2 {
		t.Errorf("device holds %d subscriptions, want 2", got)
	}
}

// TestSubscribeRefused: a device that knows no subscriptions refuses them, alarms
// under both event packages; the refusal is a SubscribeError with its status, and the
// registrar holds nothing of it.
func TestSubscribeRefused(t *testing.T) {
	for _, code := range []int{489, 501} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			s := sipdtest.StartT(t, sipd.Config{}, store)
			subscribableDevice(t, s, store, "udp", sim.Config{Subscriptions: sim.SubscriptionConfig{Refuse: code}})
			for _, kind := range []sipd.SubscriptionKind{sipd.SubscribeCatalog, sipd.SubscribeAlarm} {
				_, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: kind, Expires: time.Minute})
				var refused *sipd.SubscribeError
				if !errors.As(err, &refused) || refused.Code != code {
					t.Errorf("%s: %v, want a SubscribeError %d", kind, err, code)
				}
			}
			if n := sipd.SubscriptionCount(s); n != 0 {
				t.Errorf("the registrar holds %d subscriptions after refusals", n)
			}
		})
	}
}

// TestSubscriptionEndedByDevice: a device granting less than asked ends the
// subscription at its expiry with NOTIFY terminated: the handler hears it with the
// reason, the device is signalled, and a later NOTIFY in the dialog gets 481.
func TestSubscriptionEndedByDevice(t *testing.T) {
	store, events, changes := sipdtest.NewStore(nil), newEventLog(), sipdtest.NewChanges()
	s := sipdtest.StartT(t, sipd.Config{Events: events, Notifier: changes}, store)
	subscribableDevice(t, s, store, "udp", sim.Config{Subscriptions: sim.SubscriptionConfig{MaxExpires: 2 * time.Second}})
	sub, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: sipd.SubscribeCatalog, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Expires != 2*time.Second {
		t.Errorf("granted %v, want the device's 2s", sub.Expires)
	}
	before := changes.Count(devID)
	ev := events.next(t, "end", ofKind(sipd.EventSubscriptionEnded))
	if ev.CallID != sub.CallID || ev.Reason != "timeout" {
		t.Errorf("end event %+v, want the subscription's, reason timeout", ev)
	}
	if changes.Count(devID) <= before {
		t.Error("the device was not signalled when its subscription ended")
	}
	if n := sipd.SubscriptionCount(s); n != 0 {
		t.Errorf("the registrar holds %d subscriptions after the device ended its only one", n)
	}
}

// TestUnsubscribeFromTheValue: a subscription the registrar forgot (as a restarted one
// never knew it) is still ended on the device from the Subscription value alone, and a
// refresh of it is ErrSubscriptionGone.
func TestUnsubscribeFromTheValue(t *testing.T) {
	store := sipdtest.NewStore(nil)
	s := sipdtest.StartT(t, sipd.Config{}, store)
	d := subscribableDevice(t, s, store, "tcp", sim.Config{})
	sub, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: sipd.SubscribeCatalog, Expires: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s.ForgetSubscription(sub.CallID)
	if _, err := s.RefreshSubscription(testCtx(t), sub); !errors.Is(err, sipd.ErrSubscriptionGone) {
		t.Errorf("refreshing a forgotten subscription: %v, want ErrSubscriptionGone", err)
	}
	if err := s.Unsubscribe(testCtx(t), sub); err != nil {
		t.Fatal(err)
	}
	if got := d.Subscriptions(); len(got) != 0 {
		t.Errorf("device subscriptions after the unsubscribe: %+v", got)
	}
}

// TestSubscriptionBounds: past MaxSubscriptionsPerDevice, or MaxSubscriptions in all,
// Subscribe fails at once without asking the device.
func TestSubscriptionBounds(t *testing.T) {
	for _, cfg := range []sipd.Config{{MaxSubscriptionsPerDevice: 2}, {MaxSubscriptions: 2}} {
		t.Run(fmt.Sprintf("all %d, per device %d", cfg.MaxSubscriptions, cfg.MaxSubscriptionsPerDevice), func(t *testing.T) {
			store := sipdtest.NewStore(nil)
			s := sipdtest.StartT(t, cfg, store)
			d := subscribableDevice(t, s, store, "udp", sim.Config{})
			dev := sipd.DeviceRef{ID: devID}
			for _, kind := range []sipd.SubscriptionKind{sipd.SubscribeCatalog, sipd.SubscribeAlarm} {
				if _, err := s.Subscribe(testCtx(t), dev, sipd.SubscribeRequest{Kind: kind, Expires: time.Minute}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.Subscribe(testCtx(t), dev, sipd.SubscribeRequest{Kind: sipd.SubscribeMobilePosition, Expires: time.Minute, Interval: time.Second})
			if !errors.Is(err, sipd.ErrTooManySubscriptions) {
				t.Errorf("third subscription: %v, want ErrTooManySubscriptions", err)
			}
			if got := len(d.Subscriptions()); got != 2 {
				t.Errorf("the device holds %d subscriptions, want 2", got)
			}
		})
	}
}

// rawSubscription plays the device's side of a subscription over a bare socket: it
// reads the SUBSCRIBE and answers it with code, Expires and a To tag.
type rawSubscription struct {
	req    *sip.Request
	tag    string // the device's To tag
	cseq   int
	callID string
}

func readSubscribe(t *testing.T, p *rawPeer) *rawSubscription {
	t.Helper()
	req := readRequest(t, p)
	if req.Method != sip.SUBSCRIBE {
		t.Fatalf("%s, want SUBSCRIBE", req.Method)
	}
	return &rawSubscription{req: req, tag: "dev" + strconv.FormatInt(time.Now().UnixNano(), 36), callID: req.CallID().Value()}
}

func (r *rawSubscription) answer(p *rawPeer, code int, expires string) {
	res := sip.NewResponseFromRequest(r.req, code, "Reason "+strconv.Itoa(code), nil)
	res.To().Params.Add("tag", r.tag)
	if expires != "" {
		res.AppendHeader(sip.NewHeader("Expires", expires))
	}
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: devID, Host: "127.0.0.1", Port: 5060}})
	p.send(res.String())
}

// notify is a NOTIFY in r's dialog with state and body; fromTag and toTag override the
// dialog's tags when not empty.
func (r *rawSubscription) notify(state, body, fromTag, toTag string) string {
	r.cseq++
	if fromTag == "" {
		fromTag = r.tag
	}
	if toTag == "" {
		toTag, _ = r.req.From().Params.Get("tag")
	}
	return "NOTIFY sip:34020000002000000001@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKn" + strconv.Itoa(r.cseq) + r.tag + "\r\n" +
		"From: <sip:" + devID + "@3402000000>;tag=" + fromTag + "\r\n" +
		"To: <sip:34020000002000000001@3402000000>;tag=" + toTag + "\r\n" +
		"Call-ID: " + r.callID + "\r\n" +
		"CSeq: " + strconv.Itoa(r.cseq) + " NOTIFY\r\n" +
		"Event: " + r.req.GetHeader("Event").Value() + "\r\n" +
		"Subscription-State: " + state + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"Content-Type: Application/MANSCDP+xml\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// TestSubscribeAlarmOverTheWire plays the device over a bare socket: the alarm
// SUBSCRIBE carries the query under Event: presence; refused 489 it is asked again under
// Event: Alarm; a NOTIFY that comes before the 2xx is accepted and told; NOTIFYs with a
// wrong tag, from another address, for an unknown dialog or too large are refused; a
// NOTIFY terminated ends the subscription, and the next one gets 481.
func TestSubscribeAlarmOverTheWire(t *testing.T) {
	events := newEventLog()
	s, p := tortureServerWith(t, sipd.Config{Events: events, MaxNotifyBodySize: 1024})
	stranger := dialRawFrom(t, s, "udp", "127.0.0.2")
	type result struct {
		sub sipd.Subscription
		err error
	}
	done := make(chan result, 1)
	go func() {
		sub, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: sipd.SubscribeAlarm, Expires: time.Hour, MinPriority: 1, MaxPriority: 2, Methods: []int{2, 5}})
		done <- result{sub, err}
	}()

	presence := readSubscribe(t, p)
	q, err := manscdp.Decode(presence.req.Body(), "")
	if err != nil || q.AlarmQuery == nil {
		t.Fatalf("alarm SUBSCRIBE body %q: %v", presence.req.Body(), err)
	}
	if ev := presence.req.GetHeader("Event").Value(); ev != "presence" || q.AlarmQuery.StartAlarmPriority != 1 || q.AlarmQuery.EndAlarmPriority != 2 || q.AlarmQuery.AlarmMethod != "25" {
		t.Errorf("first SUBSCRIBE: Event %q, query %+v", ev, q.AlarmQuery)
	}
	if got := presence.req.GetHeader("Expires").Value(); got != "3600" {
		t.Errorf("Expires %s, want 3600", got)
	}
	presence.answer(p, 489, "")

	alarm := readSubscribe(t, p)
	if alarm.req.GetHeader("Event").Value() != "Alarm" || alarm.callID == presence.callID {
		t.Fatalf("second SUBSCRIBE: Event %q, Call-ID %s", alarm.req.GetHeader("Event").Value(), alarm.callID)
	}
	body := string(encoded(t)(manscdp.EncodeAlarmNotify(9, manscdp.Alarm{DeviceID: devID, Priority: 1, Method: 5, Time: "2026-12-03T08:00:00", Type: 2}, "UTF-8")))
	if res := p.exchange(alarm.notify("active;expires=3600", body, "", "")); res.StatusCode != 200 {
		t.Fatalf("NOTIFY before the 2xx answered %d", res.StatusCode)
	}
	if ev := events.next(t, "alarm", ofKind(sipd.EventAlarm)); ev.Alarm.Priority != 1 || ev.CallID != alarm.callID {
		t.Errorf("alarm event %+v", ev)
	}
	alarm.answer(p, 200, "600")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.sub.Event != "Alarm" || r.sub.RemoteTag != alarm.tag || r.sub.Expires != 10*time.Minute {
		t.Errorf("subscription %+v", r.sub)
	}

	for _, c := range []struct {
		name string
		peer *rawPeer
		msg  string
		want int
	}{
		{"wrong device tag", p, alarm.notify("active", "", "forged", ""), 481},
		{"wrong platform tag", p, alarm.notify("active", "", "", "forged"), 481},
		{"from another address", stranger, alarm.notify("active", "", "", ""), 481},
		{"unknown dialog", p, (&rawSubscription{req: alarm.req, tag: alarm.tag, callID: "nobody@127.0.0.1"}).notify("active", "", "", ""), 481},
		{"too large", p, alarm.notify("active", string(make([]byte, 1500)), "", ""), 413},
	} {
		if res := c.peer.exchange(c.msg); res.StatusCode != c.want {
			t.Errorf("%s: answered %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
	events.none(t, "refused NOTIFY's", 300*time.Millisecond, func(sipd.Event) bool { return true })

	if res := p.exchange(alarm.notify("terminated;reason=deactivated", "", "", "")); res.StatusCode != 200 {
		t.Fatalf("NOTIFY terminated answered %d", res.StatusCode)
	}
	if ev := events.next(t, "end", ofKind(sipd.EventSubscriptionEnded)); ev.Reason != "deactivated" {
		t.Errorf("end %+v", ev)
	}
	if res := p.exchange(alarm.notify("active", "", "", "")); res.StatusCode != 481 {
		t.Errorf("NOTIFY after the end answered %d, want 481", res.StatusCode)
	}
}

// TestDeviceEventsBounded: with the handler stuck, NOTIFYs are still answered 200 at
// once; past MaxPendingEvents their events are dropped and counted.
func TestDeviceEventsBounded(t *testing.T) {
	events := newEventLog()
	events.hold = make(chan struct{})
	reg := prometheus.NewRegistry()
	s, p := tortureServerWith(t, sipd.Config{Events: events, MaxPendingEvents: 2, Registerer: reg})
	done := make(chan error, 1)
	go func() {
		_, err := s.Subscribe(testCtx(t), sipd.DeviceRef{ID: devID}, sipd.SubscribeRequest{Kind: sipd.SubscribeCatalog, Expires: time.Hour})
		done <- err
	}()
	sub := readSubscribe(t, p)
	sub.answer(p, 200, "3600")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	const sent = 10
	for i := range sent {
		res := p.exchange(sub.notify("active", "", "", ""))
		if res.StatusCode != 200 {
			t.Fatalf("NOTIFY %d answered %d while the handler is stuck", i, res.StatusCode)
		}
	}
	// One event is in the handler, MaxPendingEvents wait; the rest were dropped.
	if dropped := counterValue(t, reg, "sipd_device_events_dropped_total"); dropped < sent-3 {
		t.Errorf("%v events dropped, want at least %d", dropped, sent-3)
	}
	close(events.hold)
	if got := len(events.ch) + drain(events.ch, 500*time.Millisecond); got > 3 {
		t.Errorf("the handler got %d events, want at most 3", got)
	}
}

// drain counts the events arriving within d.
func drain(ch chan sipd.Event, d time.Duration) int {
	n := 0
	deadline := time.After(d)
	for {
		select {
		case <-ch:
			n++
		case <-deadline:
			return n
		}
	}
}

// counterValue is the value of the counter name in reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			total := 0.0
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
			return total
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestAlarmByMessage: an alarm MESSAGE from the device's binding is answered 200 at
// once, then the platform's Alarm Response goes to the device with the alarm's SN and
// DeviceID, and the alarm is told; a position MESSAGE is told too. The same alarm from
// another address gets 404 and is not told.
func TestAlarmByMessage(t *testing.T) {
	events := newEventLog()
	s, p := tortureServerWith(t, sipd.Config{Events: events})
	stranger := dialRawFrom(t, s, "udp", "127.0.0.2")
	const channel = "34020000001310000007"
	body := string(encoded(t)(manscdp.EncodeAlarmNotify(41, manscdp.Alarm{DeviceID: channel, Priority: 2, Method: 2, Time: "2026-12-03T08:00:00", Description: "视频丢失", Type: 1}, "GB2312")))

	if res := stranger.exchange(messageText(devID, "al0", 1, "alarm-stranger", body, len(body))); res.StatusCode != 404 {
		t.Errorf("alarm from another address answered %d, want 404", res.StatusCode)
	}
	if res := p.exchange(messageText(devID, "al1", 1, "alarm-1", body, len(body))); res.StatusCode != 200 {
		t.Fatalf("alarm answered %d", res.StatusCode)
	}
	req := readRequest(t, p)
	answer, err := manscdp.Decode(req.Body(), "")
	if req.Method != sip.MESSAGE || err != nil || answer.Root != "Response" || answer.CmdType != "Alarm" || answer.SN != 41 || answer.DeviceID != channel || answer.Result != "OK" {
		t.Fatalf("after the alarm the registrar sent %s %q (%v)", req.Method, req.Body(), err)
	}
	p.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	ev := events.next(t, "alarm", ofKind(sipd.EventAlarm))
	if ev.DeviceID != devID || ev.CallID != "" || ev.Alarm.DeviceID != channel || ev.Alarm.Priority != 2 || ev.Alarm.Description != "视频丢失" {
		t.Errorf("alarm event %+v (%+v)", ev, ev.Alarm)
	}
	// 08:00 in the registrar's zone, Beijing time by default.
	if want := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC); !ev.Time.Equal(want) {
		t.Errorf("alarm time %v, want %v", ev.Time, want)
	}

	pos := string(encoded(t)(manscdp.EncodeMobilePositionNotify(42, manscdp.MobilePosition{DeviceID: devID, Time: "2026-12-03T08:00:01", Longitude: 116.3, Latitude: 39.9}, "UTF-8")))
	if res := p.exchange(messageText(devID, "pos1", 2, "pos-1", pos, len(pos))); res.StatusCode != 200 {
		t.Fatalf("position answered %d", res.StatusCode)
	}
	if ev := events.next(t, "position", ofKind(sipd.EventPosition)); ev.Position.Latitude != 39.9 {
		t.Errorf("position event %+v", ev.Position)
	}
	events.none(t, "stranger's alarm", 300*time.Millisecond, ofKind(sipd.EventAlarm))
}
