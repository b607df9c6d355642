package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// lifecycle is the timing state of a running device. Only the goroutine stepping the
// device (Run, or one Fleet worker at a time) touches it.
type lifecycle struct {
	// regAt is when the next REGISTER is due: the refresh, or the retry after a failure.
	// Zero means now.
	regAt time.Time
	// lastKeepalive is when the keepalive cycle last restarted (a keepalive, or the
	// registration): the next is due one interval later, whatever the interval is by then.
	lastKeepalive time.Time
	failures      int // consecutive failed registrations, for the backoff
	missed        int // consecutive unanswered keepalives
}

// waker is what runs a device's life (Run, or a Fleet's schedule): told that the
// device's schedule changed (a new keepalive interval, a reboot), it steps the device
// again now rather than at the time it last computed.
type waker interface {
	wakeDevice(d *Device)
}

func (d *Device) setWaker(w waker) {
	d.mu.Lock()
	d.waker = w
	d.mu.Unlock()
}

// wake asks whatever runs the device's life to step it again now.
func (d *Device) wake() {
	d.mu.Lock()
	w := d.waker
	d.mu.Unlock()
	if w != nil {
		w.wakeDevice(d)
	}
}

// runWaker wakes Run's loop.
type runWaker chan struct{}

func (w runWaker) wakeDevice(*Device) {
	select {
	case w <- struct{}{}:
	default:
	}
}

// step does whatever is due for the device now (register, refresh, keepalive) and
// returns when it next wants to run. gate, when set, is waited on before each REGISTER
// (a Fleet's rate limit). It returns early when ctx ends.
func (d *Device) step(ctx context.Context, gate func(context.Context) error) time.Time {
	l := &d.life
	now := time.Now()
	if back, rebooting := d.rebootingUntil(); rebooting {
		if now.Before(back) {
			return back
		}
		// Back from a reboot: register afresh, as a device does at power-on.
		d.endReboot()
		l.regAt, l.failures, l.missed = now, 0, 0
	}
	if d.ep.transport == "TCP" && d.Registered() && d.ep.LocalAddr() != d.registeredFrom() {
		// The connection was lost and re-dialled: the registrar must learn the new one,
		// or its queries would go to the dead connection. pjsip devices do the same.
		l.regAt = now
	}
	if !now.Before(l.regAt) {
		if gate != nil {
			if err := gate(ctx); err != nil {
				return now
			}
		}
		reg, err := d.Register(ctx)
		now = time.Now()
		switch {
		case ctx.Err() != nil:
			return now
		case err != nil:
			l.failures++
			l.regAt = now.Add(d.backoff(l.failures, err))
		default:
			l.failures, l.missed = 0, 0
			l.regAt = now.Add(refreshDelay(reg.Expires))
			l.lastKeepalive = now
		}
	}
	settings := d.settings()
	if d.Registered() && !now.Before(l.lastKeepalive.Add(settings.keepalive)) {
		err := d.Keepalive(ctx)
		now = time.Now()
		l.lastKeepalive = now
		switch {
		case err == nil:
			l.missed = 0
		case ctx.Err() != nil:
			return now
		case StatusCode(err) != 0:
			// 404 (or any refusal): the registrar has no registration for us. GB devices
			// register again at once.
			d.log.Info("keepalive refused, registering again", "error", err)
			d.forget()
			l.regAt = now
		default:
			l.missed++
			if l.missed >= settings.maxMiss {
				d.log.Info("keepalives unanswered, registering again", "missed", l.missed)
				d.forget()
				l.regAt, l.missed = now, 0
			}
		}
	}
	next := l.regAt
	if ka := l.lastKeepalive.Add(d.settings().keepalive); d.Registered() && ka.Before(next) {
		next = ka
	}
	if back, rebooting := d.rebootingUntil(); rebooting && next.Before(back) {
		// A reboot began during this step: nothing happens until the device is back.
		next = back
	}
	return next
}

// Run runs the device's life until ctx ends: register (retrying with backoff), refresh
// before expiry, keepalives; then unregister. It returns the unregistration's error, if
// any.
func (d *Device) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	wake := make(runWaker, 1)
	d.setWaker(wake)
	defer d.setWaker(nil)
	for {
		next := d.step(ctx, nil)
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return d.goodbye()
		case <-timer.C:
		case <-wake:
		}
	}
}

// goodbye unregisters a registered device with a fresh deadline (the run's context is
// already over).
func (d *Device) goodbye() error {
	if !d.Registered() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
	defer cancel()
	return d.Unregister(ctx)
}

func (d *Device) forget() {
	d.mu.Lock()
	d.registered = false
	d.mu.Unlock()
}

func (d *Device) registeredFrom() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.regLocal
}

// backoff is the wait before registration attempt n+1 after n failures: RetryMin doubled
// per failure up to RetryMax, plus up to 10% jitter so that a fleet refused at once does
// not come back at once. It is never shorter than RetryMin (GB/T 28181 asks for at least
// 60 s), and honours a longer Retry-After.
func (d *Device) backoff(failures int, err error) time.Duration {
	wait := d.cfg.RetryMin
	for i := 1; i < failures && wait < d.cfg.RetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, d.cfg.RetryMax)
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > wait {
		wait = se.RetryAfter
	}
	return wait + rand.N(wait/10+1)
}

// refreshDelay is when to refresh a registration granted for expires: a tenth of it
// early, but at least half of it or 30 s early whichever is less, so short test
// lifetimes still leave room for a round trip.
func refreshDelay(expires time.Duration) time.Duration {
	early := max(expires/10, min(expires/2, 30*time.Second))
	return max(expires-early, time.Second)
}
