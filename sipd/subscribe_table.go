package sipd

import (
	"slices"
	"sync"
	"time"
)

// The live subscriptions, by Call-ID, bounded by MaxSubscriptions in all and
// MaxSubscriptionsPerDevice per device. An entry is made before its SUBSCRIBE leaves
// (pending: a NOTIFY may come before the 2xx), confirmed by the 2xx, moved on by each
// refresh, and removed by a refusal, a 481, a NOTIFY terminated, ForgetSubscription, or
// its expiry: an entry past ExpiresAt and a grace (an unsubscribed one: past the wait
// for its last NOTIFY) is no longer matched, and is removed when a lookup or the bounds
// meet it.
//
// Only the controllers add entries, one per declared subscription, so devices cannot
// grow the table; its bounds catch a runaway caller.

// liveSubscription is a table entry.
type liveSubscription struct {
	Subscription
	// confirmed: the device's 2xx arrived; until then the device's tag is unknown, and
	// the first NOTIFY's From tag is taken for it.
	confirmed bool
	// ending: the platform unsubscribed; the device's last NOTIFY is answered 200 and
	// ends the entry, and no event is told of it.
	ending bool
}

// subscriptionGrace is how long past its expiry an entry still matches: the device's
// clock and the network may lag, and its last NOTIFY (terminated;reason=timeout) comes
// at the expiry itself.
const subscriptionGrace = txTimeout

// over reports whether e is past its expiry and grace at now.
func (e *liveSubscription) over(now time.Time) bool {
	return !now.Before(e.ExpiresAt.Add(subscriptionGrace))
}

// subscriptionTable holds the live subscriptions.
type subscriptionTable struct {
	mu           sync.Mutex
	byCallID     map[string]*liveSubscription
	byDevice     map[string][]*liveSubscription
	max          int
	maxPerDevice int
	// gauge is told the number of entries.
	gauge func(int)
}

func newSubscriptionTable(maxAll, maxPerDevice int, gauge func(int)) *subscriptionTable {
	return &subscriptionTable{byCallID: make(map[string]*liveSubscription), byDevice: make(map[string][]*liveSubscription),
		max: maxAll, maxPerDevice: maxPerDevice, gauge: gauge}
}

// add records a subscription about to be asked for, within the bounds; expired entries
// make room.
func (t *subscriptionTable) add(sub Subscription, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropExpiredLocked(t.byDevice[sub.DeviceID], now)
	if len(t.byCallID) >= t.max {
		t.sweepLocked(now)
	}
	if len(t.byCallID) >= t.max || len(t.byDevice[sub.DeviceID]) >= t.maxPerDevice {
		return ErrTooManySubscriptions
	}
	e := &liveSubscription{Subscription: sub}
	t.byCallID[sub.CallID] = e
	t.byDevice[sub.DeviceID] = append(t.byDevice[sub.DeviceID], e)
	t.gauge(len(t.byCallID))
	return nil
}

// confirm records the device's 2xx; false when the entry is gone (the device ended it).
func (t *subscriptionTable) confirm(sub Subscription) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byCallID[sub.CallID]
	if e == nil {
		return false
	}
	e.Subscription, e.confirmed = sub, true
	return true
}

// nextCSeq returns the next CSeq of a live subscription's dialog and takes it.
func (t *subscriptionTable) nextCSeq(callID string) (uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byCallID[callID]
	if e == nil || e.ending {
		return 0, false
	}
	e.CSeq++
	return e.CSeq, true
}

// refreshed records a refresh's new expiry; false when the entry is gone.
func (t *subscriptionTable) refreshed(sub Subscription) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byCallID[sub.CallID]
	if e == nil || e.ending {
		return false
	}
	e.CSeq = max(e.CSeq, sub.CSeq)
	e.Expires, e.ExpiresAt = sub.Expires, sub.ExpiresAt
	return true
}

// ending marks a subscription as unsubscribed, kept until until for its last NOTIFY, and
// returns the CSeq of the unsubscribe; false when the table does not hold it.
func (t *subscriptionTable) ending(callID string, until time.Time) (uint32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byCallID[callID]
	if e == nil {
		return 0, false
	}
	e.ending, e.ExpiresAt = true, until
	e.CSeq++
	return e.CSeq, true
}

// remove forgets a subscription.
func (t *subscriptionTable) remove(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byCallID[callID]; e != nil {
		t.removeLocked(e)
	}
}

// match returns a copy of the live entry callID, if it is not past its expiry at now.
func (t *subscriptionTable) match(callID string, now time.Time) (liveSubscription, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.byCallID[callID]
	if e == nil {
		return liveSubscription{}, false
	}
	if e.over(now) {
		t.removeLocked(e)
		return liveSubscription{}, false
	}
	return *e, true
}

// learnTag records the device's tag from a NOTIFY that came before the 2xx.
func (t *subscriptionTable) learnTag(callID, tag string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byCallID[callID]; e != nil && !e.confirmed && e.RemoteTag == "" {
		e.RemoteTag = tag
	}
}

// len is the number of entries.
func (t *subscriptionTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byCallID)
}

// removeLocked forgets e; t.mu must be held.
func (t *subscriptionTable) removeLocked(e *liveSubscription) {
	delete(t.byCallID, e.CallID)
	subs := slices.DeleteFunc(t.byDevice[e.DeviceID], func(x *liveSubscription) bool { return x == e })
	if len(subs) == 0 {
		delete(t.byDevice, e.DeviceID)
	} else {
		t.byDevice[e.DeviceID] = subs
	}
	t.gauge(len(t.byCallID))
}

// dropExpiredLocked removes the entries of subs past their expiry; t.mu must be held.
func (t *subscriptionTable) dropExpiredLocked(subs []*liveSubscription, now time.Time) {
	for _, e := range slices.Clone(subs) {
		if e.over(now) {
			t.removeLocked(e)
		}
	}
}

// sweepLocked removes every entry past its expiry; t.mu must be held. It runs only at
// the bound.
func (t *subscriptionTable) sweepLocked(now time.Time) {
	for _, e := range t.byCallID {
		if e.over(now) {
			t.removeLocked(e)
		}
	}
}
