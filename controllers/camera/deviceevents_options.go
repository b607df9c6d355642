package camera

import "time"

// DeviceEventOptions tune the Camera controller's subscriptions and its handling of what
// devices tell on their own. Zero values take the defaults below.
type DeviceEventOptions struct {
	// SubscriptionRetryMin and SubscriptionRetryMax bound the backoff before a failed
	// subscription (no answer, ended by the device) is made again (defaults 5s and 5m).
	// A refused one waits for the device's next registration.
	SubscriptionRetryMin time.Duration
	SubscriptionRetryMax time.Duration
	// AlarmEventInterval and AlarmEventBurst rate-limit the Alarm Events of one Camera:
	// a burst of AlarmEventBurst, then one per AlarmEventInterval (defaults 10 and 10s).
	// Alarms past it are still counted, shown as status.lastAlarm and sent to the
	// AlarmSink; only their Events are dropped, and counted in
	// camera_operator_alarm_events_dropped_total.
	AlarmEventInterval time.Duration
	AlarmEventBurst    int
	// AlarmStatusInterval is the least time between two writes of one Camera's
	// status.lastAlarm (default 1s): a storm of alarms costs a status write a second,
	// with the latest alarm; ten times that while status writes are backlogged.
	AlarmStatusInterval time.Duration
	// AlarmSink, when set, is handed each alarm with its Camera (controllers/alarms
	// posts them as CloudEvents). It must not block.
	AlarmSink AlarmSink
}

// Defaults of DeviceEventOptions.
const (
	defaultSubscriptionRetryFloor = 5 * time.Second
	defaultSubscriptionRetryMax   = 5 * time.Minute
	defaultAlarmEventInterval     = 10 * time.Second
	defaultAlarmEventBurst        = 10
	defaultAlarmStatusInterval    = time.Second
)

// WithDefaults returns o with every zero field at its default.
func (o DeviceEventOptions) WithDefaults() DeviceEventOptions {
	if o.SubscriptionRetryMin <= 0 {
		o.SubscriptionRetryMin = defaultSubscriptionRetryFloor
	}
	if o.SubscriptionRetryMax < o.SubscriptionRetryMin {
		o.SubscriptionRetryMax = max(defaultSubscriptionRetryMax, o.SubscriptionRetryMin)
	}
	if o.AlarmEventInterval <= 0 {
		o.AlarmEventInterval = defaultAlarmEventInterval
	}
	if o.AlarmEventBurst <= 0 {
		o.AlarmEventBurst = defaultAlarmEventBurst
	}
	if o.AlarmStatusInterval <= 0 {
		o.AlarmStatusInterval = defaultAlarmStatusInterval
	}
	return o
}
