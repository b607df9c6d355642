package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Alarms. With Alarms.Interval the device raises an alarm every interval while armed
// (GuardCmd SetGuard), as most devices report nothing until armed; Alarms.WithoutGuard
// makes it alarm from its first registration on, as some do. Alarm n is on channel
// n mod channels, of priority n mod 4 + 1, alternately a video alarm (method 5, type 2,
// motion detection) and a device alarm (method 2, type 1, video lost). It goes in a
// NOTIFY of every alarm subscription whose query it matches, or, when the device has no
// alarm subscription at all, by MESSAGE. The channel stays ALARM in DeviceStatus until
// an AlarmCmd ResetAlarm. One timer per device runs while alarms are raised.

// AlarmConfig configures the alarms a device raises.
type AlarmConfig struct {
	// Interval is how often the device raises an alarm (0: never).
	Interval time.Duration
	// WithoutGuard makes the device raise alarms without being armed.
	WithoutGuard bool
}

func (c *AlarmConfig) setDefaults() error {
	if c.Interval < 0 || (c.Interval > 0 && c.Interval < 100*time.Millisecond) {
		return fmt.Errorf("sim: alarm interval %v: want 0 (none) or at least 100ms", c.Interval)
	}
	return nil
}

// alarmRaiser is the timer of a device that raises alarms, guarded by deviceState.mu.
type alarmRaiser struct {
	timer *time.Timer
	next  int // the number of the next alarm
}

// registeredNow starts the alarms of a device that alarms without being armed.
func (d *Device) registeredNow() {
	if d.cfg.Alarms.Interval == 0 || !d.cfg.Alarms.WithoutGuard {
		return
	}
	st := d.state()
	st.mu.Lock()
	d.alarmsArmedLocked(st)
	st.mu.Unlock()
}

// alarmsArmedLocked starts or stops the alarm timer as the device's settings and armed
// flag say. st.mu is held.
func (d *Device) alarmsArmedLocked(st *deviceState) {
	run := d.cfg.Alarms.Interval > 0 && (st.armed || d.cfg.Alarms.WithoutGuard) && !st.closed
	switch {
	case run && st.alarms == nil:
		r := &alarmRaiser{}
		r.timer = time.AfterFunc(d.cfg.Alarms.Interval, func() { d.raiseAlarm(r) })
		st.alarms = r
	case !run && st.alarms != nil:
		st.alarms.timer.Stop()
		st.alarms = nil
	}
}

func (d *Device) stopAlarms() {
	st := d.stateIfAny()
	if st == nil {
		return
	}
	st.mu.Lock()
	if st.alarms != nil {
		st.alarms.timer.Stop()
		st.alarms = nil
	}
	st.mu.Unlock()
}

// raiseAlarm raises the next alarm of r, sends it, and waits another interval.
func (d *Device) raiseAlarm(r *alarmRaiser) {
	st := d.state()
	st.mu.Lock()
	if st.alarms != r {
		st.mu.Unlock()
		return // stopped meanwhile
	}
	n := r.next
	r.next++
	st.mu.Unlock()

	if d.Registered() {
		a := d.alarm(n)
		st.mu.Lock()
		st.alarming[a.DeviceID] = true
		st.mu.Unlock()
		if err := d.sendAlarm(a); err != nil {
			d.log.Info("sending an alarm failed", "error", err)
		}
		d.changed()
	}

	st.mu.Lock()
	if st.alarms == r {
		r.timer.Reset(d.cfg.Alarms.Interval)
	}
	st.mu.Unlock()
}

// alarm is alarm number n.
func (d *Device) alarm(n int) manscdp.Alarm {
	channels := d.channelIDs()
	i := n % len(channels)
	a := manscdp.Alarm{
		DeviceID: channels[i],
		Priority: n%4 + 1,
		Time:     manscdp.FormatTime(d.now(), d.cfg.Location),
	}
	if n%2 == 0 {
		a.Method, a.Type, a.Description = manscdp.AlarmMethodVideo, 2, channelName(i)+" 移动侦测报警"
	} else {
		a.Method, a.Type, a.Description = manscdp.AlarmMethodDevice, 1, channelName(i)+" 视频丢失报警"
	}
	return a
}

// sendAlarm sends a in the alarm subscriptions whose query it matches, or by MESSAGE
// when the device has none.
func (d *Device) sendAlarm(a manscdp.Alarm) error {
	body, err := manscdp.EncodeAlarmNotify(int(d.sn.Add(1)), a, d.cfg.Charset)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
	defer cancel()
	subs := d.subscriptionsOf(subAlarm)
	if len(subs) == 0 {
		return d.sendMessage(ctx, body)
	}
	var firstErr error
	for _, s := range subs {
		if !s.matches(a) {
			continue
		}
		if err := s.notify(ctx, body); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}
