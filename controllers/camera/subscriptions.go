package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
)

// The subscriptions each Camera declares (spec.subscriptions), kept with its device off
// the reconcile path, as the querier keeps its queries: a reconcile tells the
// subscriber what the Camera wants and which registration the device holds (due), and
// the subscriber's workers SUBSCRIBE, refresh and unsubscribe, at most
// MaxConcurrentQueries devices at once, then signal the device so that a reconcile
// writes the outcome (status.subscriptions, the Subscribed condition).
//
//   - After the device registers (a new registration: it rebooted and lost them), or
//     when this replica first sees it (a restart, a new leader), every declared
//     subscription is made; those of an older registration are forgotten unended.
//   - A live one is refreshed within its dialog a quarter of its lifetime (at most
//     10 minutes) before it runs out.
//   - One the device refused (4xx-6xx) stays Refused until the next registration: the
//     catalog refresh polls meanwhile. One that failed (no answer, a 481 to a refresh,
//     the device ended it) is made again with a backoff of SubscriptionRetryMin doubling
//     to SubscriptionRetryMax.
//   - One the spec drops is ended (Expires: 0), and so are all of a Camera that goes
//     away, from the kept dialog alone.
//
// Its memory is a record per declared subscription of the Cameras this replica serves.

// subscriptionRegistrar is what the subscriber needs of the registrar; *sipd.Server
// implements it.
type subscriptionRegistrar interface {
	Subscribe(ctx context.Context, dev sipd.DeviceRef, req sipd.SubscribeRequest) (sipd.Subscription, error)
	RefreshSubscription(ctx context.Context, sub sipd.Subscription) (sipd.Subscription, error)
	Unsubscribe(ctx context.Context, sub sipd.Subscription) error
	ForgetSubscription(callID string)
	SubscriptionLive(callID string) bool
}

var _ subscriptionRegistrar = (*sipd.Server)(nil)

// subscriptionEvents are the subscriptions in the order they are kept and shown.
var subscriptionEvents = [...]gbv1.SubscriptionEvent{gbv1.SubscriptionCatalog, gbv1.SubscriptionAlarm, gbv1.SubscriptionMobilePosition}

// numSubscriptions is the number of subscription kinds.
const numSubscriptions = len(subscriptionEvents)

// maxSubscriptionReason bounds the reason of a subscription in status.
const maxSubscriptionReason = 256

// subscriber keeps the declared subscriptions of every device.
type subscriber struct {
	reg         subscriptionRegistrar
	timeout     time.Duration
	retryMin    time.Duration
	retryMax    time.Duration
	concurrency int
	now         func() time.Time
	notify      func(deviceID string) // a change of detail: an outcome to write
	// pace holds jobs back while the registrar's queue delay says it falls behind: the
	// querier's pacer, as a SUBSCRIBE loads the registrar as a query does (its 200, then
	// NOTIFYs).
	pace *pacer
	log  logr.Logger

	mu      sync.Mutex
	devices map[string]*deviceSubscriptions
	// queue holds the devices with work due; ending the subscriptions to end whose
	// Camera is gone or whose request changed.
	queue  []string
	ending []sipd.Subscription
	kick   chan struct{}
}

// deviceSubscriptions is the subscriber's record of one device.
type deviceSubscriptions struct {
	// owner is the Camera the device is subscribed for, through its binding.
	owner string
	// registeredAt is the registration the live subscriptions were made in (zero: the
	// device holds none).
	registeredAt time.Time
	// records by kind (subscriptionEvents' order); nil: neither declared nor live.
	records [numSubscriptions]*subscriptionRecord
	queued  bool
	running bool
}

// subscriptionRecord is one declared (or being ended) subscription.
type subscriptionRecord struct {
	// want is what the spec asks; nil once it no longer does (the live one is ended).
	want *sipd.SubscribeRequest
	// live is the subscription the device holds, nil when none.
	live *sipd.Subscription
	// state is where it stands; "" until this replica tried (the status keeps what it
	// said), reason why it last failed or was refused.
	state  gbv1.SubscriptionState
	reason string
	// lastNotify is when the device last notified within it.
	lastNotify time.Time
	// nextAt is when it is next refreshed (live) or tried again (failed).
	nextAt   time.Time
	failures int
}

// subscriptionView is what the status shows of one subscription.
type subscriptionView struct {
	state      gbv1.SubscriptionState
	reason     string
	expiresAt  time.Time
	lastNotify time.Time
}

func newSubscriber(reg subscriptionRegistrar, opts Options, pace *pacer, notify func(string), log logr.Logger) *subscriber {
	return &subscriber{
		pace:        pace,
		reg:         reg,
		timeout:     opts.QueryTimeout,
		retryMin:    opts.DeviceEvents.SubscriptionRetryMin,
		retryMax:    opts.DeviceEvents.SubscriptionRetryMax,
		concurrency: opts.MaxConcurrentQueries,
		now:         opts.now,
		notify:      notify,
		log:         log,
		devices:     make(map[string]*deviceSubscriptions),
		kick:        make(chan struct{}, 1),
	}
}

// NeedLeaderElection: only the leader talks to devices.
func (s *subscriber) NeedLeaderElection() bool { return true }

// subscriptionWant is what a reconcile asks of the subscriber for one device.
type subscriptionWant struct {
	dev sipd.DeviceRef
	// registeredAt identifies the device's live registration; zero when it holds none.
	registeredAt time.Time
	// requests are the declared subscriptions by kind; nil: not declared.
	requests [numSubscriptions]*sipd.SubscribeRequest
}

// wantedSubscriptions is what spec declares, as requests.
func wantedSubscriptions(spec gbv1.SubscriptionsSpec) [numSubscriptions]*sipd.SubscribeRequest {
	var out [numSubscriptions]*sipd.SubscribeRequest
	expires := func(s gbv1.SubscriptionSpec) time.Duration {
		if s.Expires != nil && s.Expires.Duration >= time.Second {
			return s.Expires.Duration.Truncate(time.Second)
		}
		return time.Hour
	}
	if c := spec.Catalog; c != nil {
		out[0] = &sipd.SubscribeRequest{Kind: sipd.SubscribeCatalog, Expires: expires(*c)}
	}
	if a := spec.Alarm; a != nil {
		r := &sipd.SubscribeRequest{Kind: sipd.SubscribeAlarm, Expires: expires(a.SubscriptionSpec),
			MinPriority: int(a.MinPriority), MaxPriority: int(a.MaxPriority)}
		if a.Method > 0 {
			r.Methods = []int{int(a.Method)}
		}
		out[1] = r
	}
	if p := spec.MobilePosition; p != nil {
		interval := 5 * time.Second
		if p.Interval != nil && p.Interval.Duration >= time.Second {
			interval = p.Interval.Duration
		}
		out[2] = &sipd.SubscribeRequest{Kind: sipd.SubscribeMobilePosition, Expires: expires(p.SubscriptionSpec), Interval: interval}
	}
	return out
}

// sameRequest reports whether a and b ask the device for the same thing.
func sameRequest(a, b *sipd.SubscribeRequest) bool {
	if a.Kind != b.Kind || a.Expires != b.Expires || a.MinPriority != b.MinPriority || a.MaxPriority != b.MaxPriority ||
		a.Interval != b.Interval || len(a.Methods) != len(b.Methods) {
		return false
	}
	for i := range a.Methods {
		if a.Methods[i] != b.Methods[i] {
			return false
		}
	}
	return true
}

// due records what w asks, schedules the work it makes due, and returns when the device
// needs the subscriber next (zero while work is queued or running, whose completion
// signals the device, and when nothing is declared).
func (s *subscriber) due(w subscriptionWant) time.Time {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[w.dev.ID]
	if d == nil {
		if w.requests == [numSubscriptions]*sipd.SubscribeRequest{} {
			return time.Time{}
		}
		d = &deviceSubscriptions{owner: w.dev.Owner}
		s.devices[w.dev.ID] = d
	}
	if d.owner != w.dev.Owner || !d.registeredAt.Equal(w.registeredAt) {
		// Another Camera, or another registration: the live subscriptions are void.
		s.voidLocked(d, w.registeredAt.IsZero())
		d.owner, d.registeredAt = w.dev.Owner, w.registeredAt
	}
	s.declareLocked(d, w.requests)
	if d.empty() {
		delete(s.devices, w.dev.ID)
		return time.Time{}
	}
	if w.registeredAt.IsZero() || d.queued || d.running {
		return time.Time{}
	}
	next, now2 := d.nextWork(now)
	if now2 {
		s.enqueueLocked(w.dev.ID, d)
		return time.Time{}
	}
	return next
}

// voidLocked forgets d's live subscriptions without a word to the device (it lost them
// with its registration); with unregistered the records wait for a registration.
func (s *subscriber) voidLocked(d *deviceSubscriptions, unregistered bool) {
	for _, r := range d.records {
		if r == nil {
			continue
		}
		if r.live != nil {
			s.reg.ForgetSubscription(r.live.CallID)
			r.live = nil
		}
		r.state, r.reason, r.nextAt, r.failures = "", "", time.Time{}, 0
		if unregistered {
			r.state, r.reason = gbv1.SubscriptionPending, "waiting for the device to register"
		}
	}
}

// declareLocked brings d's records to what requests declare: new ones are made, changed
// ones end their live subscription to make it anew, dropped ones are ended.
func (s *subscriber) declareLocked(d *deviceSubscriptions, requests [numSubscriptions]*sipd.SubscribeRequest) {
	for k, want := range requests {
		r := d.records[k]
		switch {
		case want == nil && r == nil:
		case want == nil && r.live == nil:
			d.records[k] = nil
		case want == nil:
			r.want = nil // ended by the next run
		case r == nil:
			d.records[k] = &subscriptionRecord{want: want}
			if d.registeredAt.IsZero() {
				d.records[k].state, d.records[k].reason = gbv1.SubscriptionPending, "waiting for the device to register"
			}
		case r.want == nil || !sameRequest(r.want, want):
			if r.live != nil {
				s.ending = append(s.ending, *r.live)
				r.live = nil
				s.kickLocked()
			}
			r.want, r.state, r.reason, r.nextAt, r.failures = want, "", "", time.Time{}, 0
			if d.registeredAt.IsZero() {
				r.state, r.reason = gbv1.SubscriptionPending, "waiting for the device to register"
			}
		}
	}
}

// empty reports whether d keeps nothing.
func (d *deviceSubscriptions) empty() bool {
	return d.records == [numSubscriptions]*subscriptionRecord{}
}

// nextWork returns when d's next piece of work is due, and whether one is due at now.
func (d *deviceSubscriptions) nextWork(now time.Time) (time.Time, bool) {
	var next time.Time
	for _, r := range d.records {
		if r == nil {
			continue
		}
		switch {
		case r.want == nil: // to end
			return time.Time{}, true
		case r.live == nil && r.state == gbv1.SubscriptionRefused:
			// Polled instead until the next registration.
		case !now.Before(r.nextAt):
			return time.Time{}, true
		default:
			next = earliest(next, r.nextAt)
		}
	}
	return next, false
}

func (s *subscriber) enqueueLocked(id string, d *deviceSubscriptions) {
	d.queued = true
	s.queue = append(s.queue, id)
	s.kickLocked()
}

func (s *subscriber) kickLocked() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// view returns what the status shows of deviceID's subscriptions for owner; a kind this
// replica has not tried yet has an empty state.
func (s *subscriber) view(deviceID, owner string) [numSubscriptions]subscriptionView {
	var out [numSubscriptions]subscriptionView
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[deviceID]
	if d == nil || d.owner != owner {
		return out
	}
	for k, r := range d.records {
		if r == nil || r.want == nil {
			continue
		}
		v := subscriptionView{state: r.state, reason: r.reason, lastNotify: r.lastNotify}
		if r.live != nil {
			v.expiresAt = r.live.ExpiresAt
		}
		out[k] = v
	}
	return out
}

// notified records a NOTIFY of deviceID's subscription callID at at, and reports
// whether it is the first of that subscription (news for the status).
func (s *subscriber) notified(deviceID, callID string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recordLocked(deviceID, callID)
	if r == nil {
		return false
	}
	first := r.lastNotify.IsZero()
	r.lastNotify = at
	return first
}

// ended records that the device ended its subscription callID for reason, and has it
// made again: at once the first time, then with the backoff; never before the next
// registration for the reasons that say the device will not serve it (RFC 6665 §4.2.2).
func (s *subscriber) ended(deviceID, callID, reason string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recordLocked(deviceID, callID)
	if r == nil {
		return false
	}
	r.live = nil
	switch reason {
	case "rejected", "noresource", "invariant":
		r.state, r.reason = gbv1.SubscriptionRefused, "the device ended it ("+reason+")"
		return true
	}
	r.state, r.reason = gbv1.SubscriptionFailed, "the device ended it"
	if reason != "" {
		r.reason += " (" + reason + ")"
	}
	r.nextAt = now.Add(s.backoff(r.failures))
	r.failures++
	if d := s.devices[deviceID]; !d.queued && !d.running && !now.Before(r.nextAt) {
		s.enqueueLocked(deviceID, d)
	}
	return true
}

// recordLocked finds the record of deviceID whose live subscription is callID.
func (s *subscriber) recordLocked(deviceID, callID string) *subscriptionRecord {
	d := s.devices[deviceID]
	if d == nil || callID == "" {
		return nil
	}
	for _, r := range d.records {
		if r != nil && r.live != nil && r.live.CallID == callID {
			return r
		}
	}
	return nil
}

// forget drops deviceID (its Camera is gone, or no longer owns it) and has its live
// subscriptions ended.
func (s *subscriber) forget(deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[deviceID]
	if d == nil {
		return
	}
	for _, r := range d.records {
		if r != nil && r.live != nil {
			s.ending = append(s.ending, *r.live)
		}
	}
	delete(s.devices, deviceID)
	s.kickLocked()
}

// backoff is the wait before the next attempt after failures failures.
func (s *subscriber) backoff(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := s.retryMin
	for i := 1; i < failures && d < s.retryMax; i++ {
		d *= 2
	}
	return min(d, s.retryMax)
}

// refreshAt is when a live subscription is refreshed: a quarter of its lifetime before
// it runs out, at most ten minutes and at least a second before. Ten minutes is more
// than the liveness interval that delays writing the new expiry (throttle.go), so the
// status never shows an expiry that has passed.
func refreshAt(sub *sipd.Subscription) time.Time {
	margin := min(max(sub.Expires/4, time.Second), 10*time.Minute)
	return sub.ExpiresAt.Add(-margin)
}

// Start runs the queued work until ctx ends.
func (s *subscriber) Start(ctx context.Context) error {
	sem := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		}
		for {
			job, ok := s.pop()
			if !ok {
				break
			}
			// SIP first, as the querier's jobs (on the wall clock, as the registrar's
			// queue delay is measured, not s.now).
			if !s.pace.wait(ctx, time.Now()) {
				return nil
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				job(ctx)
			}()
		}
	}
}

// pop takes the next piece of work: a subscription to end, or a device's due work.
func (s *subscriber) pop() (func(context.Context), bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.ending); n > 0 {
		sub := s.ending[n-1]
		s.ending = s.ending[:n-1]
		if len(s.ending) == 0 {
			s.ending = nil
		}
		return func(ctx context.Context) { s.end(ctx, sub) }, true
	}
	for len(s.queue) > 0 {
		id := s.queue[0]
		s.queue[0] = ""
		s.queue = s.queue[1:]
		if d := s.devices[id]; d != nil && d.queued {
			d.queued, d.running = false, true
			return func(ctx context.Context) { s.run(ctx, id, d) }, true
		}
	}
	s.queue = nil // release the backing array once drained
	return nil, false
}

// end unsubscribes a subscription nobody wants any more.
func (s *subscriber) end(ctx context.Context, sub sipd.Subscription) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.reg.Unsubscribe(ctx, sub); err != nil && ctx.Err() == nil {
		s.log.Info("ending a subscription failed; it runs out at its expiry", "deviceID", sub.DeviceID, "event", sub.Event, "expiresAt", sub.ExpiresAt, "error", err.Error())
	}
}

// subscriptionOp is one piece of a device's work.
type subscriptionOp struct {
	kind int
	want *sipd.SubscribeRequest // nil: end live
	live *sipd.Subscription     // the live one to refresh or end; nil: subscribe
	// outcome of the op.
	sub sipd.Subscription
	err error
}

// run does deviceID's due work and records the outcomes.
func (s *subscriber) run(ctx context.Context, deviceID string, d *deviceSubscriptions) {
	now := s.now()
	s.mu.Lock()
	ops := d.plan(now)
	dev := sipd.DeviceRef{ID: deviceID, Owner: d.owner}
	registeredAt := d.registeredAt
	s.mu.Unlock()

	for i := range ops {
		s.do(ctx, dev, &ops[i])
	}
	if ctx.Err() != nil {
		return // shutting down; the next leader subscribes again
	}

	s.mu.Lock()
	d.running = false
	if s.devices[deviceID] != d || d.owner != dev.Owner || !d.registeredAt.Equal(registeredAt) {
		// Forgotten, or another registration meanwhile: what was made is void.
		for _, op := range ops {
			if op.err == nil && op.want != nil {
				s.ending = append(s.ending, op.sub)
			}
		}
		s.kickLocked()
		s.mu.Unlock()
		return
	}
	after := s.now()
	for _, op := range ops {
		s.outcomeLocked(d, op, after)
	}
	if _, due := d.nextWork(after); due {
		s.enqueueLocked(deviceID, d)
	}
	s.mu.Unlock()
	s.notify(deviceID)
}

// plan lists d's work due at now; s.mu must be held.
func (d *deviceSubscriptions) plan(now time.Time) []subscriptionOp {
	var ops []subscriptionOp
	for k, r := range d.records {
		if r == nil {
			continue
		}
		switch {
		case r.want == nil && r.live != nil:
			live := *r.live
			ops = append(ops, subscriptionOp{kind: k, live: &live})
		case r.want == nil:
		case r.live == nil && r.state == gbv1.SubscriptionRefused:
		case now.Before(r.nextAt):
		case r.live != nil:
			live := *r.live
			ops = append(ops, subscriptionOp{kind: k, want: r.want, live: &live})
		default:
			ops = append(ops, subscriptionOp{kind: k, want: r.want})
		}
	}
	return ops
}

// do runs one op against the registrar.
func (s *subscriber) do(ctx context.Context, dev sipd.DeviceRef, op *subscriptionOp) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	switch {
	case op.want == nil:
		op.err = s.reg.Unsubscribe(ctx, *op.live)
	case op.live != nil:
		op.sub, op.err = s.reg.RefreshSubscription(ctx, *op.live)
	default:
		op.sub, op.err = s.reg.Subscribe(ctx, dev, *op.want)
	}
	if op.err != nil {
		s.log.Info("subscription request failed", "deviceID", dev.ID, "event", subscriptionEvents[op.kind], "error", op.err.Error())
	}
}

// outcomeLocked records an op's outcome in d; s.mu must be held.
func (s *subscriber) outcomeLocked(d *deviceSubscriptions, op subscriptionOp, now time.Time) {
	r := d.records[op.kind]
	if r == nil {
		if op.want != nil && op.err == nil {
			s.ending = append(s.ending, op.sub) // dropped meanwhile
		}
		return
	}
	if op.want == nil { // ended
		if r.want == nil {
			d.records[op.kind] = nil
		} else if r.live != nil && op.live != nil && r.live.CallID == op.live.CallID {
			r.live = nil
		}
		return
	}
	if r.want == nil || !sameRequest(r.want, op.want) {
		// The spec changed meanwhile: the outcome answers an old question.
		if op.err == nil {
			s.ending = append(s.ending, op.sub)
		}
		return
	}
	var refused *sipd.SubscribeError
	switch {
	case op.err == nil && !s.reg.SubscriptionLive(op.sub.CallID):
		// The device ended it between its 2xx and now (its NOTIFY terminated found no
		// record to end): made again, as after any end.
		r.live, r.state, r.reason = nil, gbv1.SubscriptionFailed, "the device ended it at once"
		r.failures++
		r.nextAt = now.Add(s.backoff(r.failures))
	case op.err == nil:
		sub := op.sub
		r.live, r.state, r.reason, r.failures = &sub, gbv1.SubscriptionActive, "", 0
		r.nextAt = refreshAt(&sub)
	case op.live == nil && errors.As(op.err, &refused):
		r.state, r.reason = gbv1.SubscriptionRefused, fmt.Sprintf("the device answered %d %s", refused.Code, refused.Reason)
	case op.live != nil && !errors.Is(op.err, sipd.ErrSubscriptionGone) && !errors.As(op.err, &refused) && now.Before(op.live.ExpiresAt):
		// No answer to a refresh: the subscription may still hold until it runs out.
		r.failures++
		r.state, r.reason = gbv1.SubscriptionFailed, "refresh: "+errText(op.err)
		r.nextAt = now.Add(s.backoff(r.failures))
		if last := op.live.ExpiresAt.Add(-time.Second); last.Before(r.nextAt) {
			r.nextAt = last
		}
	default:
		if op.live != nil {
			s.reg.ForgetSubscription(op.live.CallID)
		}
		r.live = nil
		r.state, r.reason = gbv1.SubscriptionFailed, errText(op.err)
		r.failures++
		r.nextAt = now.Add(s.backoff(r.failures))
	}
}

// errText is an error as a subscription's reason.
func errText(err error) string {
	if errors.Is(err, sipd.ErrSubscriptionGone) {
		return "the device no longer had the subscription"
	}
	return err.Error()
}
