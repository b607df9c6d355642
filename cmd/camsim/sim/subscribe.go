package sim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Subscriptions (RFC 6665, GB/T 28181-2016 §9.11). The platform SUBSCRIBEs to the
// device for one of three event packages, told apart by the body's CmdType, or the
// Event header when there is no body:
//
//	Catalog          Event: Catalog        catalog changes: ON/OFF, ADD/DEL items
//	Alarm            Event: presence|Alarm alarms matching the query's priorities,
//	                                       methods and type
//	MobilePosition   Event: MobilePosition the position every <Interval> seconds
//
// The device answers 200 with the granted Expires, its To tag, its Contact and a
// <Response> with Result OK, and keeps the dialog (Call-ID, both tags, the platform's
// Contact and Record-Route). It sends a NOTIFY at once (the whole catalog, the position,
// or for alarms an empty one), then one per event, Subscription-State active with the
// time left. A SUBSCRIBE within the dialog refreshes it (and gets a NOTIFY, as RFC 6665
// asks); Expires: 0 ends it with a NOTIFY terminated; so does expiry, with
// reason=timeout. A 481 to a NOTIFY means the platform forgot the dialog: the device
// forgets it too.
//
// Subscriptions.Refuse makes the device refuse every SUBSCRIBE, as old devices do;
// Subscriptions.Max bounds the live ones (503 beyond). A subscription costs one expiry
// timer, plus one event timer for catalog events and positions.

// SubscriptionConfig configures a device's answers to SUBSCRIBE and its catalog events.
type SubscriptionConfig struct {
	// Refuse, when set (300-699), is the status every SUBSCRIBE is answered with, as by
	// a device that knows no subscriptions: 489 Bad Event, 501 Not Implemented...
	Refuse int
	// Max bounds the device's live subscriptions (default 8); more get 503.
	Max int
	// MaxExpires caps the lifetime granted (default 1h); a SUBSCRIBE without Expires
	// asks for that much.
	MaxExpires time.Duration
	// CatalogFlap, when set, makes the first channel go OFF and come back ON every
	// other period of this length, with a catalog NOTIFY at each change.
	CatalogFlap time.Duration
	// CatalogChurn, when set, adds a channel in one period of this length and removes it
	// in the next, with a catalog NOTIFY (ADD, DEL) at each change.
	CatalogChurn time.Duration
}

func (c *SubscriptionConfig) setDefaults() error {
	if c.Refuse != 0 && (c.Refuse < 300 || c.Refuse > 699) {
		return fmt.Errorf("sim: refusing subscriptions with %d: want a status of 300-699", c.Refuse)
	}
	if c.Max < 0 || c.MaxExpires < 0 || c.CatalogFlap < 0 || c.CatalogChurn < 0 {
		return fmt.Errorf("sim: negative subscription setting in %+v", *c)
	}
	if c.Max == 0 {
		c.Max = 8
	}
	if c.MaxExpires == 0 {
		c.MaxExpires = time.Hour
	}
	for _, p := range []time.Duration{c.CatalogFlap, c.CatalogChurn} {
		if p > 0 && p < 100*time.Millisecond {
			return fmt.Errorf("sim: catalog event period %v shorter than 100ms", p)
		}
	}
	return nil
}

// subKind is an event package.
type subKind int

const (
	subCatalog subKind = iota
	subAlarm
	subPosition
)

func (k subKind) String() string {
	return [...]string{"Catalog", "Alarm", "MobilePosition"}[k]
}

// Position report intervals: a SUBSCRIBE without one gets the default; none is faster
// than the minimum, so that a platform cannot make the device flood it.
const (
	defaultPositionInterval = 5 * time.Second
	minPositionInterval     = time.Second
)

var (
	errBadEvent = errors.New("sim: no event package the device knows")
	errBadBody  = errors.New("sim: SUBSCRIBE body does not decode")
)

// SubscriptionInfo describes a live subscription.
type SubscriptionInfo struct {
	CallID string `json:"call_id"`
	// Kind is Catalog, Alarm or MobilePosition; Event the Event header it came with.
	Kind  string `json:"kind"`
	Event string `json:"event"`
	// Expires is when the subscription runs out unless refreshed.
	Expires time.Time `json:"expires"`
	// Notifies counts the NOTIFYs sent in it.
	Notifies int `json:"notifies"`
}

// subscription is one subscription dialog on the device side.
type subscription struct {
	d      *Device
	kind   subKind
	event  string // the Event header as sent, echoed in every NOTIFY
	callID string
	// local and remote are the dialog's URIs and tags: ours is the SUBSCRIBE's To.
	local, remote       sip.Uri
	localTag, remoteTag string
	target              sip.Uri  // the platform's Contact
	routes              []string // its Record-Route, the NOTIFYs' Route
	filter              *manscdp.AlarmQueryBody
	interval            time.Duration

	sendMu     sync.Mutex  // NOTIFYs go one at a time, in CSeq order
	refreshing atomic.Bool // a refresh's NOTIFY is on its way: a refresh flood costs one goroutine

	mu        sync.Mutex // guards the fields below
	cseq      uint32
	expiresAt time.Time
	expiry    *time.Timer
	events    *time.Timer // catalog events or position reports; nil when none
	nextFlap  int64       // the next flap and churn boundaries to notify
	nextChurn int64
	notifies  int
	ended     bool
}

// handleSubscribe answers a SUBSCRIBE to the device: a new subscription, or a refresh
// or end of one of its dialogs.
func (d *Device) handleSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	if code := d.cfg.Subscriptions.Refuse; code != 0 {
		d.log.Info("refusing a SUBSCRIBE", "event", headerValue(req, "Event"), "status", code)
		respond(tx, req, code, refusalReason(code))
		return
	}
	expires, err := requestedExpires(req, d.cfg.Subscriptions.MaxExpires)
	if err != nil {
		d.log.Info("SUBSCRIBE with a bad Expires", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad Expires")
		return
	}
	callID := req.CallID().Value()
	toTag, _ := req.To().Params.Get("tag")
	fromTag, _ := req.From().Params.Get("tag")
	if s := d.subscription(callID); s != nil && s.remoteTag == fromTag && (toTag == "" || toTag == s.localTag) {
		s.renew(req, tx, expires)
		return
	}
	if toTag != "" {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Subscription Does Not Exist")
		return
	}
	if d.subscription(callID) != nil {
		// Another From tag on a live dialog's Call-ID: not a refresh, and a second
		// subscription under one Call-ID would escape the count of them.
		respond(tx, req, sip.StatusBadRequest, "Call-ID In Use")
		return
	}
	kind, m, err := subscriptionKind(req)
	switch {
	case errors.Is(err, errBadEvent):
		res := sip.NewResponseFromRequest(req, 489, "Bad Event", nil)
		res.AppendHeader(sip.NewHeader("Allow-Events", "Catalog, presence, Alarm, MobilePosition"))
		_ = tx.Respond(res)
		return
	case err != nil:
		d.log.Info("SUBSCRIBE with a bad body", "error", err)
		respond(tx, req, sip.StatusBadRequest, "Bad MANSCDP Body")
		return
	}
	s := d.newSubscription(req, kind, m)
	if expires == 0 {
		// A fetch (RFC 6665 §4.4.3): answered, then ended at once. Its NOTIFY takes a
		// slot of the endpoint's answers, so that a flood of fetches is refused, not
		// served by a goroutine each.
		select {
		case d.ep.answering <- struct{}{}:
		default:
			respond(tx, req, sip.StatusServiceUnavailable, "Busy")
			return
		}
		_ = tx.Respond(s.response(req, 0, m))
		go func() {
			defer func() { <-d.ep.answering }()
			s.finish("terminated;reason=timeout")
		}()
		return
	}
	// The expiry timer exists before the subscription can be found: a refresh racing
	// the answer resets it.
	s.expiresAt = time.Now().Add(expires)
	s.expiry = time.AfterFunc(expires, func() { s.finish("terminated;reason=timeout") })
	if !d.addSubscription(s) {
		s.expiry.Stop()
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Too Many Subscriptions", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "60"))
		_ = tx.Respond(res)
		return
	}
	_ = tx.Respond(s.response(req, expires, m))
	d.log.Info("subscribed", "kind", kind, "event", s.event, "expires", expires, "callID", callID)
	d.changed()
	go s.begin()
}

// newSubscription makes the device's side of the dialog a SUBSCRIBE opens.
func (d *Device) newSubscription(req *sip.Request, kind subKind, m *manscdp.Message) *subscription {
	s := &subscription{
		d:        d,
		kind:     kind,
		event:    headerValue(req, "Event"),
		callID:   req.CallID().Value(),
		local:    req.To().Address,
		remote:   req.From().Address,
		localTag: newToken(8),
		target:   req.From().Address,
	}
	s.remoteTag, _ = req.From().Params.Get("tag")
	if s.event == "" {
		s.event = kind.String()
	}
	if c := req.Contact(); c != nil {
		s.target = c.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		s.routes = append(s.routes, h.Value())
	}
	switch kind {
	case subAlarm:
		if m != nil && m.AlarmQuery != nil {
			f := *m.AlarmQuery
			s.filter = &f
		}
	case subPosition:
		s.interval = defaultPositionInterval
		if m != nil && m.Interval > 0 {
			s.interval = max(time.Duration(m.Interval)*time.Second, minPositionInterval)
		}
	}
	return s
}

// response is the 200 OK to the SUBSCRIBE that made or refreshed s.
func (s *subscription) response(req *sip.Request, expires time.Duration, m *manscdp.Message) *sip.Response {
	sn := 0
	if m != nil {
		sn = m.SN
	}
	body, err := manscdp.EncodeResultResponse(s.kind.String(), sn, s.d.cfg.ID, true, s.d.cfg.Charset)
	if err != nil {
		body = nil
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", body)
	if to := res.To(); to != nil {
		to.Params = sip.NewParams()
		to.Params.Add("tag", s.localTag)
	}
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	res.AppendHeader(&exp)
	res.AppendHeader(&sip.ContactHeader{Address: s.d.contactNow()})
	if body != nil {
		ct := sip.ContentTypeHeader("Application/MANSCDP+xml")
		res.AppendHeader(&ct)
	}
	return res
}

// renew answers a SUBSCRIBE within s's dialog: a refresh, or with Expires: 0 the end.
func (s *subscription) renew(req *sip.Request, tx sip.ServerTransaction, expires time.Duration) {
	var m *manscdp.Message
	if len(req.Body()) > 0 {
		m, _ = manscdp.Decode(req.Body(), charsetParam(headerValue(req, "Content-Type")))
	}
	s.mu.Lock()
	ended := s.ended
	if !ended && expires > 0 && s.expiry != nil {
		s.expiresAt = time.Now().Add(expires)
		s.expiry.Reset(expires)
	}
	s.mu.Unlock()
	if ended {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Subscription Does Not Exist")
		return
	}
	if expires == 0 {
		// Ended before the 200 goes: whoever heard the 200 finds it gone.
		live := s.stop() // once, however many unsubscribes race
		_ = tx.Respond(s.response(req, expires, m))
		s.d.log.Info("unsubscribed", "kind", s.kind, "callID", s.callID)
		if live {
			go s.farewell("terminated")
		}
		return
	}
	_ = tx.Respond(s.response(req, expires, m))
	s.d.log.Debug("subscription refreshed", "kind", s.kind, "expires", expires)
	if !s.refreshing.CompareAndSwap(false, true) {
		return // the NOTIFY of an earlier refresh is still to go: it tells the same
	}
	go func() {
		defer s.refreshing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), s.d.cfg.RequestTimeout)
		defer cancel()
		var body []byte
		if s.kind == subPosition {
			body = s.positionBody()
		}
		_ = s.notify(ctx, body)
	}()
}

// begin sends the first NOTIFY and starts the event timer.
func (s *subscription) begin() {
	ctx, cancel := context.WithTimeout(context.Background(), s.d.cfg.RequestTimeout)
	defer cancel()
	switch s.kind {
	case subCatalog:
		now := time.Now() // the catalog sent is the one of now: events follow from here
		s.notifyCatalog(ctx)
		s.mu.Lock()
		sc := s.d.cfg.Subscriptions
		if sc.CatalogFlap > 0 {
			s.nextFlap = s.d.period(sc.CatalogFlap, now) + 1
		}
		if sc.CatalogChurn > 0 {
			s.nextChurn = s.d.period(sc.CatalogChurn, now) + 1
		}
		s.scheduleCatalogLocked()
		s.mu.Unlock()
	case subAlarm:
		s.logFailed("alarm", s.notify(ctx, nil))
	case subPosition:
		s.logFailed("position", s.notify(ctx, s.positionBody()))
		s.mu.Lock()
		if !s.ended {
			s.events = time.AfterFunc(s.interval, s.positionTick)
		}
		s.mu.Unlock()
	}
}

// logFailed logs a first NOTIFY that failed: the platform sees the subscription
// without its first state, and retries or lets it expire.
func (s *subscription) logFailed(event string, err error) {
	if err != nil {
		s.d.log.Info("first NOTIFY failed", "event", event, "error", err)
	}
}

// notifyCatalog sends the whole catalog, each item with its status as its event.
func (s *subscription) notifyCatalog(ctx context.Context) {
	items := s.d.Catalog()
	for i := range items {
		items[i].Event = items[i].Status
	}
	if err := s.notifyItems(ctx, items); err != nil {
		s.d.log.Info("catalog NOTIFY failed", "error", err)
	}
}

// notifyItems sends catalog items with their events in parts, as a catalog answer is
// sent: one SN, SumNum the whole change.
func (s *subscription) notifyItems(ctx context.Context, items []manscdp.CatalogItem) error {
	d := s.d
	sn := int(d.sn.Add(1))
	return d.sendCatalogParts(items, func(part []manscdp.CatalogItem) ([]byte, error) {
		return manscdp.EncodeCatalogNotify(sn, d.cfg.ID, len(items), part, d.cfg.Charset)
	}, func(body []byte) error {
		return s.notify(ctx, body)
	})
}

// scheduleCatalogLocked arms the timer for the next flap or churn boundary.
func (s *subscription) scheduleCatalogLocked() {
	sc := s.d.cfg.Subscriptions
	var next time.Time
	if sc.CatalogFlap > 0 {
		next = s.d.boundary(sc.CatalogFlap, s.nextFlap)
	}
	if sc.CatalogChurn > 0 {
		if at := s.d.boundary(sc.CatalogChurn, s.nextChurn); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if next.IsZero() || s.ended {
		return
	}
	s.events = time.AfterFunc(time.Until(next), s.catalogTick)
}

// catalogTick notifies the flap and churn changes due now, in one NOTIFY.
func (s *subscription) catalogTick() {
	d, sc, now := s.d, s.d.cfg.Subscriptions, time.Now()
	var items []manscdp.CatalogItem
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	if sc.CatalogFlap > 0 && !now.Before(d.boundary(sc.CatalogFlap, s.nextFlap)) {
		// A late timer (a slow platform) reports the latest change only.
		s.nextFlap = d.period(sc.CatalogFlap, now)
		items = append(items, d.flapEvent(s.nextFlap))
		s.nextFlap++
	}
	if sc.CatalogChurn > 0 && !now.Before(d.boundary(sc.CatalogChurn, s.nextChurn)) {
		s.nextChurn = d.period(sc.CatalogChurn, now)
		items = append(items, d.churnEvent(s.nextChurn))
		s.nextChurn++
	}
	s.mu.Unlock()
	if len(items) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
		err := s.notifyItems(ctx, items)
		cancel()
		if err != nil {
			d.log.Info("catalog event NOTIFY failed", "error", err)
		}
	}
	s.mu.Lock()
	s.scheduleCatalogLocked()
	s.mu.Unlock()
}

func (s *subscription) positionBody() []byte {
	body, err := manscdp.EncodeMobilePositionNotify(int(s.d.sn.Add(1)), s.d.position(time.Now()), s.d.cfg.Charset)
	if err != nil {
		s.d.log.Info("encoding a position failed", "error", err)
		return nil
	}
	return body
}

// positionTick reports the position and waits another interval.
func (s *subscription) positionTick() {
	ctx, cancel := context.WithTimeout(context.Background(), s.d.cfg.RequestTimeout)
	err := s.notify(ctx, s.positionBody())
	cancel()
	if err != nil {
		s.d.log.Info("position NOTIFY failed", "error", err)
	}
	s.mu.Lock()
	if !s.ended {
		s.events.Reset(s.interval)
	}
	s.mu.Unlock()
}

// errSubscriptionEnded is returned by notify in a subscription that ended.
var errSubscriptionEnded = errors.New("sim: subscription ended")

// notify sends a NOTIFY with Subscription-State active and the time left.
func (s *subscription) notify(ctx context.Context, body []byte) error {
	s.mu.Lock()
	ended, left := s.ended, time.Until(s.expiresAt)
	s.mu.Unlock()
	if ended {
		return errSubscriptionEnded
	}
	state := "active;expires=" + strconv.Itoa(max(int(left.Round(time.Second)/time.Second), 0))
	return s.send(ctx, state, body)
}

// send sends one NOTIFY in the dialog. A 481 means the platform no longer has the
// dialog: the device forgets it too.
func (s *subscription) send(ctx context.Context, state string, body []byte) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	d := s.d
	s.mu.Lock()
	s.cseq++
	s.notifies++
	cseq := s.cseq
	s.mu.Unlock()
	req := sip.NewRequest(sip.NOTIFY, s.target)
	from := &sip.FromHeader{Address: s.local, Params: sip.NewParams()}
	from.Params.Add("tag", s.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: s.remote, Params: sip.NewParams()}
	if s.remoteTag != "" {
		to.Params.Add("tag", s.remoteTag)
	}
	req.AppendHeader(to)
	callID := sip.CallIDHeader(s.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.NOTIFY})
	for _, r := range s.routes {
		req.AppendHeader(sip.NewHeader("Route", r))
	}
	d.commonHeaders(req)
	req.AppendHeader(sip.NewHeader("Event", s.event))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(&sip.ContactHeader{Address: d.contactNow()})
	if len(body) > 0 {
		ct := sip.ContentTypeHeader("Application/MANSCDP+xml")
		req.AppendHeader(&ct)
	}
	req.SetBody(body)
	err := d.sendRequest(ctx, req)
	if StatusCode(err) == sip.StatusCallTransactionDoesNotExists {
		d.log.Info("the platform forgot the subscription", "kind", s.kind, "callID", s.callID)
		s.stop()
	}
	return err
}

// finish ends s and says so with a NOTIFY in state (terminated, with its reason).
func (s *subscription) finish(state string) {
	if s.stop() {
		s.farewell(state)
	}
}

// farewell sends the NOTIFY that ends s, which stop ended.
func (s *subscription) farewell(state string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.d.cfg.RequestTimeout)
	defer cancel()
	if err := s.send(ctx, state, nil); err != nil {
		s.d.log.Info("final NOTIFY failed", "kind", s.kind, "error", err)
	}
	s.d.changed()
}

// stop ends s without a word and reports whether it was live.
func (s *subscription) stop() bool {
	s.mu.Lock()
	was := !s.ended
	s.ended = true
	if s.expiry != nil {
		s.expiry.Stop()
	}
	if s.events != nil {
		s.events.Stop()
	}
	s.mu.Unlock()
	if st := s.d.stateIfAny(); st != nil {
		st.mu.Lock()
		if st.subs[s.callID] == s {
			delete(st.subs, s.callID)
		}
		st.mu.Unlock()
	}
	return was
}

func (s *subscription) info() SubscriptionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SubscriptionInfo{CallID: s.callID, Kind: s.kind.String(), Event: s.event, Expires: s.expiresAt, Notifies: s.notifies}
}

// matches reports whether an alarm passes the subscription's query.
func (s *subscription) matches(a manscdp.Alarm) bool {
	f := s.filter
	if f == nil {
		return true
	}
	if f.StartAlarmPriority > 0 && a.Priority < f.StartAlarmPriority {
		return false
	}
	if f.EndAlarmPriority > 0 && a.Priority > f.EndAlarmPriority {
		return false
	}
	if m := strings.TrimSpace(f.AlarmMethod); m != "" && m != "0" && !strings.Contains(m, strconv.Itoa(a.Method)) {
		return false
	}
	return f.AlarmType == 0 || f.AlarmType == a.Type
}

// subscription returns the device's live subscription of a Call-ID, or nil.
func (d *Device) subscription(callID string) *subscription {
	st := d.stateIfAny()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.subs[callID]
}

// addSubscription stores s unless the device holds Subscriptions.Max already or its
// Call-ID is taken.
func (d *Device) addSubscription(s *subscription) bool {
	st := d.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, taken := st.subs[s.callID]; taken || st.closed || len(st.subs) >= d.cfg.Subscriptions.Max {
		return false
	}
	st.subs[s.callID] = s
	return true
}

// subscriptionsOf lists the live subscriptions of a kind.
func (d *Device) subscriptionsOf(kind subKind) []*subscription {
	st := d.stateIfAny()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []*subscription
	for _, s := range st.subs {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// endSubscriptions forgets every subscription without a word, as a device losing power
// does.
func (d *Device) endSubscriptions() {
	st := d.stateIfAny()
	if st == nil {
		return
	}
	st.mu.Lock()
	subs := make([]*subscription, 0, len(st.subs))
	for _, s := range st.subs {
		subs = append(subs, s)
	}
	st.mu.Unlock()
	for _, s := range subs {
		s.stop()
	}
}

// subscriptionKind tells the event package of a new SUBSCRIBE: the body's CmdType, or
// without a body the Event header's package.
func subscriptionKind(req *sip.Request) (subKind, *manscdp.Message, error) {
	var m *manscdp.Message
	if len(req.Body()) > 0 {
		var err error
		m, err = manscdp.Decode(req.Body(), charsetParam(headerValue(req, "Content-Type")))
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errBadBody, err)
		}
		switch m.CmdType {
		case "Catalog":
			return subCatalog, m, nil
		case "Alarm":
			return subAlarm, m, nil
		case "MobilePosition":
			return subPosition, m, nil
		}
	}
	event, _, _ := strings.Cut(headerValue(req, "Event"), ";")
	switch strings.ToLower(strings.TrimSpace(event)) {
	case "catalog":
		return subCatalog, m, nil
	case "presence", "alarm":
		return subAlarm, m, nil
	case "mobileposition":
		return subPosition, m, nil
	}
	return 0, nil, errBadEvent
}

// requestedExpires reads a SUBSCRIBE's Expires: absent means the most the device grants
// (the event packages define no default), more is capped.
func requestedExpires(req *sip.Request, most time.Duration) (time.Duration, error) {
	h := req.GetHeader("Expires")
	if h == nil {
		return most, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("sim: Expires %q: %w", h.Value(), err)
	}
	return min(time.Duration(n)*time.Second, most), nil
}

func refusalReason(code int) string {
	switch code {
	case 489:
		return "Bad Event"
	case 501:
		return "Not Implemented"
	case 405:
		return "Method Not Allowed"
	case 403:
		return "Forbidden"
	}
	return "Subscription Refused"
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// contactNow is the device's Contact URI on its endpoint.
func (d *Device) contactNow() sip.Uri {
	local, err := d.ep.contactAddr(context.Background())
	if err != nil {
		local = ""
	}
	return d.contactURI(local)
}
