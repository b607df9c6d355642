package sipd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Subscriptions (RFC 6665, GB/T 28181-2016 §9.11): the platform SUBSCRIBEs to a
// registered device, through the binding the asker owns, for one of three event
// packages, each with a MANSCDP query body:
//
//	Catalog          Event: Catalog                 <Query><CmdType>Catalog</CmdType>…
//	Alarm            Event: presence, else Alarm    <Query><CmdType>Alarm</CmdType>… priorities, methods
//	MobilePosition   Event: MobilePosition          <Query><CmdType>MobilePosition</CmdType>…<Interval>
//
// The device's 2xx makes a dialog (its To tag, its Contact, the granted Expires), which
// Subscription carries in plain values, so that the controllers can keep it and refresh
// it (a SUBSCRIBE within the dialog) or end it (Expires: 0) from the value alone. The
// registrar keeps the live ones in a table (subscribe_table.go) bounded by
// MaxSubscriptions in all and MaxSubscriptionsPerDevice per device, to match the
// device's NOTIFYs (subscribe_notify.go). Every SUBSCRIBE is a client transaction of
// transaction_client.go; the requests are written in subscribe_request.go.

// SubscriptionKind names an event package as GB/T 28181 uses them.
type SubscriptionKind string

// The subscriptions a device can be asked for.
const (
	SubscribeCatalog        SubscriptionKind = "Catalog"
	SubscribeAlarm          SubscriptionKind = "Alarm"
	SubscribeMobilePosition SubscriptionKind = "MobilePosition"
)

// SubscribeRequest is what a SUBSCRIBE asks of a device.
type SubscribeRequest struct {
	Kind SubscriptionKind
	// Expires is the lifetime asked for, in whole seconds (at least one).
	Expires time.Duration
	// MinPriority and MaxPriority bound the alarm priorities of an alarm subscription,
	// 1-4 (0: all); Methods are its alarm methods (none: all).
	MinPriority, MaxPriority int
	Methods                  []int
	// Interval is how often a MobilePosition subscription reports, in whole seconds.
	Interval time.Duration
}

// Subscription is a live subscription dialog, in plain values: what a refresh or an
// unsubscribe needs, even from a registrar that did not make it.
type Subscription struct {
	// DeviceID is the subscribed device; Owner the owner of the binding the SUBSCRIBE
	// went through (DeviceRef.Owner).
	DeviceID, Owner string
	// Request is what was asked; refreshes ask it again.
	Request SubscribeRequest
	// Event is the Event header the device accepted ("Catalog", "presence", "Alarm",
	// "MobilePosition").
	Event string
	// CallID, LocalTag (the platform's From tag) and RemoteTag (the device's To tag)
	// identify the dialog.
	CallID, LocalTag, RemoteTag string
	// CSeq is the latest CSeq the platform used in the dialog.
	CSeq uint32
	// RemoteTarget is the device's Contact from its 2xx: the Request-URI of refreshes.
	RemoteTarget string
	// Transport and RemoteAddr are where the dialog's requests go: the device's
	// registration when it was made.
	Transport, RemoteAddr string
	// Expires is the lifetime the device granted, ExpiresAt when it runs out unless
	// refreshed.
	Expires   time.Duration
	ExpiresAt time.Time
}

// Errors of subscriptions.
var (
	// ErrTooManySubscriptions: MaxSubscriptions in all, or MaxSubscriptionsPerDevice
	// of the device, are live already.
	ErrTooManySubscriptions = errors.New("sipd: too many subscriptions")
	// ErrSubscriptionGone: the device no longer has the subscription (it answered a
	// refresh 481), or the registrar never had it; subscribe again.
	ErrSubscriptionGone = errors.New("sipd: subscription no longer exists")
)

// SubscribeError is a device's non-2xx final answer to a SUBSCRIBE: it refused the
// subscription (489 Bad Event, 501 Not Implemented...) or could not serve it.
type SubscribeError struct {
	Event  string
	Code   int
	Reason string
}

func (e *SubscribeError) Error() string {
	return "sipd: device answered SUBSCRIBE (Event: " + e.Event + ") with " + strconv.Itoa(e.Code) + " " + e.Reason
}

// Bounds of what a device's 2xx may put into a Subscription, which the controllers keep.
const (
	minSubscriptionExpires = time.Second
	maxSubscriptionExpires = 24 * time.Hour
)

// alarmEvents are the Event headers of an alarm subscription, in the order they are
// tried: presence, as most platforms send it; Alarm when the device answers that with
// 489 Bad Event.
var alarmEvents = []string{"presence", "Alarm"}

// Subscribe subscribes to dev for req.Kind and returns the subscription once the device
// accepted it. It acts only through a binding dev.Owner holds (ErrNotOwner otherwise).
// A refusal is a *SubscribeError; no answer ErrTimeout; the bounds
// ErrTooManySubscriptions and ErrTooManyTransactions. ctx bounds the exchange (default
// Config.QueryTimeout). An alarm subscription refused with 489 Bad Event under
// Event: presence is asked again under Event: Alarm.
func (s *Server) Subscribe(ctx context.Context, dev DeviceRef, req SubscribeRequest) (Subscription, error) {
	select {
	case <-s.ready:
	default:
		return Subscription{}, ErrStopped
	}
	if err := checkSubscribeRequest(req); err != nil {
		return Subscription{}, err
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	events := []string{string(req.Kind)}
	if req.Kind == SubscribeAlarm {
		events = alarmEvents
	}
	var err error
	for _, event := range events {
		var sub Subscription
		sub, err = s.subscribeWith(ctx, dev, req, event)
		if err == nil {
			return sub, nil
		}
		var refused *SubscribeError
		if !errors.As(err, &refused) || refused.Code != 489 {
			break
		}
	}
	return Subscription{}, err
}

// checkSubscribeRequest refuses a request the registrar could not write.
func checkSubscribeRequest(req SubscribeRequest) error {
	switch req.Kind {
	case SubscribeCatalog, SubscribeAlarm, SubscribeMobilePosition:
	default:
		return fmt.Errorf("sipd: unknown subscription %q", req.Kind)
	}
	if req.Expires < minSubscriptionExpires || req.Expires > maxSubscriptionExpires {
		return fmt.Errorf("sipd: subscription lifetime %v outside %v to %v", req.Expires, minSubscriptionExpires, maxSubscriptionExpires)
	}
	return nil
}

// subscribeWith sends one SUBSCRIBE under event and waits for its final answer. The
// subscription is in the table before the request leaves: a device may NOTIFY before
// its 2xx arrives (RFC 6665 §4.1.2.4), and that NOTIFY must find its dialog.
func (s *Server) subscribeWith(ctx context.Context, dev DeviceRef, req SubscribeRequest, event string) (Subscription, error) {
	b, err := s.table.lookupOwned(dev)
	if err != nil {
		return Subscription{}, err
	}
	dst, err := s.bindingSource(b)
	if err != nil {
		return Subscription{}, err
	}
	sub := Subscription{DeviceID: b.DeviceID, Owner: dev.Owner, Request: req, Event: event,
		CallID: randHex(12), LocalTag: randHex(6), CSeq: 1, Transport: b.Transport, RemoteAddr: b.RemoteAddr}
	// Until the device answers, the entry lives as long as the request may.
	sub.ExpiresAt = s.now().Add(txTimeout)
	if err := s.sub.table.add(sub, s.now()); err != nil {
		return Subscription{}, err
	}
	msg, branch, err := s.buildSubscribe(sub, s.requestURI(b, dst), dst, req.Expires)
	if err != nil {
		s.sub.table.remove(sub.CallID)
		return Subscription{}, err
	}
	out, err := s.transact(ctx, sip.SUBSCRIBE, branch, msg, dst)
	if err != nil {
		s.sub.table.remove(sub.CallID)
		return Subscription{}, fmt.Errorf("SUBSCRIBE %s of %s: %w", event, dev.ID, err)
	}
	res := out.final
	if res.StatusCode >= 300 {
		s.sub.table.remove(sub.CallID)
		return Subscription{}, &SubscribeError{Event: event, Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
	}
	sub, err = s.accepted(sub, res, req.Expires)
	if err != nil {
		s.sub.table.remove(sub.CallID)
		return Subscription{}, err
	}
	if !s.sub.table.confirm(sub) {
		// The device ended it (a NOTIFY terminated) before its 2xx arrived.
		return Subscription{}, fmt.Errorf("%w: the device ended it at once", ErrSubscriptionGone)
	}
	s.log.Info("subscribed", "device", dev.ID, "event", event, "expires", sub.Expires, "callID", sub.CallID)
	return sub, nil
}

// accepted completes sub from the device's 2xx to a SUBSCRIBE that asked for asked:
// its To tag, its Contact and the lifetime it granted, copied and bounded.
func (s *Server) accepted(sub Subscription, res *sip.Response, asked time.Duration) (Subscription, error) {
	tag, _ := paramValue(res.To().Params, "tag")
	if len(tag) > maxRemoteTagLen {
		return sub, fmt.Errorf("%w: the To tag of %d bytes, at most %d kept", ErrBadAnswer, len(tag), maxRemoteTagLen)
	}
	if tag != "" || sub.RemoteTag == "" {
		sub.RemoteTag = strings.Clone(tag)
	}
	if c := res.Contact(); c != nil {
		if target := c.Address.String(); len(target) <= maxRemoteTargetLen {
			sub.RemoteTarget = target
		}
	}
	sub.Expires = grantedExpires(res, asked)
	sub.ExpiresAt = s.now().Add(sub.Expires)
	return sub, nil
}

// grantedExpires is the lifetime a 2xx grants: its Expires header (RFC 6665 §4.1.2.1
// makes it mandatory), else what was asked; never more than asked, nor below a second.
func grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	h := res.GetHeader("Expires")
	if h == nil {
		return asked
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	if err != nil {
		return asked
	}
	return min(max(time.Duration(n)*time.Second, minSubscriptionExpires), asked)
}

// RefreshSubscription refreshes sub within its dialog, asking sub.Request.Expires again,
// and returns it with its new CSeq and expiry. ErrSubscriptionGone means the device (481)
// or the registrar no longer has it: subscribe again. Another refusal is a
// *SubscribeError; the subscription then lasts until its expiry.
func (s *Server) RefreshSubscription(ctx context.Context, sub Subscription) (Subscription, error) {
	select {
	case <-s.ready:
	default:
		return sub, ErrStopped
	}
	cseq, ok := s.sub.table.nextCSeq(sub.CallID)
	if !ok {
		return sub, ErrSubscriptionGone
	}
	sub.CSeq = max(cseq, sub.CSeq+1)
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	res, err := s.inSubscription(ctx, sub, sub.Request.Expires)
	if err != nil {
		return sub, fmt.Errorf("refreshing %s of %s: %w", sub.Event, sub.DeviceID, err)
	}
	switch {
	case res.StatusCode == 481:
		s.sub.table.remove(sub.CallID)
		return sub, ErrSubscriptionGone
	case res.StatusCode >= 300:
		return sub, &SubscribeError{Event: sub.Event, Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
	}
	sub.Expires = grantedExpires(res, sub.Request.Expires)
	sub.ExpiresAt = s.now().Add(sub.Expires)
	if !s.sub.table.refreshed(sub) {
		return sub, ErrSubscriptionGone // ended meanwhile
	}
	return sub, nil
}

// Unsubscribe ends sub with a SUBSCRIBE of Expires: 0 within its dialog and waits for
// the answer. It works from sub alone, so a subscription made before a restart can be
// ended too; a 481 (the device no longer has it) counts as ended. The registrar answers
// the device's last NOTIFY and forgets the subscription whatever the outcome.
func (s *Server) Unsubscribe(ctx context.Context, sub Subscription) error {
	select {
	case <-s.ready:
	default:
		return ErrStopped
	}
	if cseq, ok := s.sub.table.ending(sub.CallID, s.now().Add(txTimeout)); ok {
		sub.CSeq = max(cseq, sub.CSeq+1)
	} else {
		sub.CSeq++
	}
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	res, err := s.inSubscription(ctx, sub, 0)
	if err != nil {
		return fmt.Errorf("unsubscribing %s of %s: %w", sub.Event, sub.DeviceID, err)
	}
	if res.StatusCode >= 300 && res.StatusCode != 481 {
		return &SubscribeError{Event: sub.Event, Code: res.StatusCode, Reason: deviceText(res.Reason, maxReasonLen)}
	}
	s.log.Info("unsubscribed", "device", sub.DeviceID, "event", sub.Event, "callID", sub.CallID)
	return nil
}

// SubscriptionLive reports whether the registrar holds the subscription callID: false
// once the device or the platform ended it, and for every subscription after a restart.
func (s *Server) SubscriptionLive(callID string) bool {
	e, ok := s.sub.table.match(callID, s.now())
	return ok && !e.ending
}

// ForgetSubscription drops the registrar's record of a subscription without a word to
// the device, whose NOTIFYs in it then get 481: for a device that registered anew (and
// lost its subscriptions with its old registration).
func (s *Server) ForgetSubscription(callID string) { s.sub.table.remove(callID) }

// inSubscription sends a SUBSCRIBE asking for expires within sub's dialog and returns
// the device's final answer.
func (s *Server) inSubscription(ctx context.Context, sub Subscription, expires time.Duration) (*sip.Response, error) {
	dst, err := s.dialogSource(sub.dialog())
	if err != nil {
		return nil, err
	}
	msg, branch, err := s.buildSubscribe(sub, s.remoteTargetURI(sub.RemoteTarget, sub.DeviceID, dst), dst, expires)
	if err != nil {
		return nil, err
	}
	out, err := s.transact(ctx, sip.SUBSCRIBE, branch, msg, dst)
	if err != nil {
		return nil, err
	}
	return out.final, nil
}

// dialog is sub as the dialog its requests are written in.
func (sub Subscription) dialog() Dialog {
	return Dialog{DeviceID: sub.DeviceID, ChannelID: sub.DeviceID, Owner: sub.Owner, CallID: sub.CallID,
		LocalTag: sub.LocalTag, RemoteTag: sub.RemoteTag, CSeq: sub.CSeq, RemoteTarget: sub.RemoteTarget,
		Transport: sub.Transport, RemoteAddr: sub.RemoteAddr}
}
