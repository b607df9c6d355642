package camera

import (
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A device's own keepalive settings (ConfigDownload BasicParam, read after each
// registration into status.deviceConfig) and the writing of spec.keepalive to it
// (DeviceConfig BasicParam, with configureDevice).
//
// The Offline deadline takes spec.keepalive's interval and timeoutCount, each unset one
// from the device's own settings, else 60s and 3: a device that keeps alive every 100s
// under a Camera that says nothing stays Registered.
//
// With configureDevice the device's settings are read after each registration and each
// change of the spec, and written when they differ from spec.keepalive, unless these
// same settings failed before: a device that refused them, never answered (some reboot
// to apply them, and register again without a word), or answered OK and still reports
// others, is not sent them again until spec.keepalive changes. So a device that reboots
// on every DeviceConfig is written to once, and the settings it reports after its next
// registration say whether it took them (the DeviceConfigured condition). Settings it
// took and later lost (it was reset) are written again, at most once per registration.

// Bounds of the settings a device reports, as spec.keepalive's: a device cannot make its
// Camera's Offline deadline overflow.
const (
	maxHeartbeatInterval = 24 * time.Hour
	maxHeartbeatCount    = 100
	maxExpiration        = 365 * 24 * time.Hour
)

// deviceConfigFrom converts a BasicParam answer, bounding what it holds.
func deviceConfigFrom(p *manscdp.BasicParam, at time.Time) *gbv1.DeviceConfig {
	c := &gbv1.DeviceConfig{
		Name:       devices.Clean(p.Name, maxFieldLen),
		QueriedAt:  toTime(at),
		Expiration: seconds(p.Expiration, maxExpiration),
	}
	c.HeartbeatInterval = seconds(p.HeartBeatInterval, maxHeartbeatInterval)
	if p.HeartBeatCount > 0 {
		c.HeartbeatCount = int32(min(p.HeartBeatCount, maxHeartbeatCount))
	}
	return c
}

// seconds is n seconds as a Duration at most limit; nil when n is not positive.
func seconds(n int, limit time.Duration) *metav1.Duration {
	if n <= 0 {
		return nil
	}
	d := limit
	if int64(n) < int64(limit/time.Second) {
		d = time.Duration(n) * time.Second
	}
	return &metav1.Duration{Duration: d}
}

// keepaliveTimeout is how long a device may stay silent before it is Offline: the
// interval times the count, each from spec.keepalive, else from the device's own
// settings (dev, possibly nil), else the default.
func keepaliveTimeout(k gbv1.KeepaliveSpec, dev *gbv1.DeviceConfig) time.Duration {
	interval := defaultKeepaliveInterval
	switch {
	case k.Interval != nil && k.Interval.Duration > 0:
		interval = k.Interval.Duration
	case dev != nil && dev.HeartbeatInterval != nil && dev.HeartbeatInterval.Duration > 0:
		interval = min(dev.HeartbeatInterval.Duration, maxHeartbeatInterval)
	}
	count := int32(defaultTimeoutCount)
	switch {
	case k.TimeoutCount > 0:
		count = k.TimeoutCount
	case dev != nil && dev.HeartbeatCount > 0:
		count = min(dev.HeartbeatCount, maxHeartbeatCount)
	}
	return interval * time.Duration(count)
}

// keepaliveTimeout is the Offline timeout of o's Camera, with the device's latest settings.
func (o *observation) keepaliveTimeout() time.Duration {
	return keepaliveTimeout(o.spec.Keepalive, o.deviceConfig())
}

// deviceConfig is the device's latest settings: just read, or as the status holds them.
func (o *observation) deviceConfig() *gbv1.DeviceConfig {
	if d := o.query.detail; d != nil && d.basic != nil {
		return deviceConfigFrom(d.basic, d.basicAt)
	}
	return o.old.DeviceConfig
}

// configureWant is the settings spec.keepalive asks the operator to write; nil when it
// asks none.
func configureWant(k gbv1.KeepaliveSpec) *manscdp.BasicConfig {
	if !k.ConfigureDevice {
		return nil
	}
	c := manscdp.BasicConfig{HeartBeatCount: int(k.TimeoutCount)}
	if k.Interval != nil && k.Interval.Duration >= time.Second {
		c.HeartBeatInterval = int(k.Interval.Duration / time.Second)
	}
	if c == (manscdp.BasicConfig{}) {
		return nil
	}
	return &c
}

// configOutcome is a verdict on the device's keepalive settings: the DeviceConfigured
// condition, of the spec generation it was reached for.
type configOutcome struct {
	status          metav1.ConditionStatus
	reason, message string
	generation      int64
}

// settingsMatch reports whether a device that reports have keeps the settings of want.
func settingsMatch(want manscdp.BasicConfig, have *manscdp.BasicParam) bool {
	return (want.HeartBeatInterval == 0 || have.HeartBeatInterval == want.HeartBeatInterval) &&
		(want.HeartBeatCount == 0 || have.HeartBeatCount == want.HeartBeatCount)
}

// decideConfigure decides, from what the device reports (have, nil when it did not
// say) and the last attempt, whether to write want; when not, verdict says why (nil:
// nothing new to say).
func decideConfigure(want manscdp.BasicConfig, have *manscdp.BasicParam, last configAttempt, gen int64) (write bool, verdict *configOutcome) {
	asked := describeSettings(want.HeartBeatInterval, want.HeartBeatCount)
	switch {
	case have != nil && settingsMatch(want, have):
		return false, &configOutcome{metav1.ConditionTrue, gbv1.ReasonConfigured,
			fmt.Sprintf("the device keeps %s, as spec.keepalive asks", asked), gen}
	case last.failed && last.settings == want && have != nil:
		return false, &configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigDrift,
			fmt.Sprintf("the device keeps %s; spec.keepalive asks %s. It did not take them when they were written, and they are not written again until spec.keepalive changes",
				describeSettings(have.HeartBeatInterval, have.HeartBeatCount), asked), gen}
	case last.failed && last.settings == want:
		return false, &configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigFailed,
			fmt.Sprintf("the device did not take %s when they were written and does not report its settings; they are not written again until spec.keepalive changes", asked), gen}
	}
	return true, nil
}

// configureVerdict is the verdict on writing want, which ended with err, and what the
// device reported afterwards (reread, nil when it did not say), and the attempt to
// remember.
func configureVerdict(want manscdp.BasicConfig, err error, reread *manscdp.BasicParam, gen int64) (configOutcome, configAttempt) {
	asked := describeSettings(want.HeartBeatInterval, want.HeartBeatCount)
	const notAgain = "; they are not written again until spec.keepalive changes"
	failed := configAttempt{settings: want, failed: true}
	var refused *sipd.ResultError
	var rejected *sipd.QueryError
	switch {
	case err == nil && reread == nil:
		return configOutcome{metav1.ConditionTrue, gbv1.ReasonConfigured,
			fmt.Sprintf("the device accepted %s (it does not report its settings)", asked), gen}, configAttempt{settings: want}
	case err == nil && settingsMatch(want, reread):
		return configOutcome{metav1.ConditionTrue, gbv1.ReasonConfigured,
			fmt.Sprintf("the device took %s", asked), gen}, configAttempt{settings: want}
	case err == nil:
		return configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigDrift,
			fmt.Sprintf("the device accepted %s but keeps %s%s", asked, describeSettings(reread.HeartBeatInterval, reread.HeartBeatCount), notAgain), gen}, failed
	case errors.As(err, &refused), errors.As(err, &rejected):
		return configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigFailed,
			fmt.Sprintf("the device refused %s (%v)%s", asked, err, notAgain), gen}, failed
	case taskStateOf(err) == taskSilent:
		return configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigFailed,
			fmt.Sprintf("the device did not answer the DeviceConfig with %s (some devices reboot to apply settings: what it keeps is read again after it registers again)%s", asked, notAgain), gen}, failed
	}
	return configOutcome{metav1.ConditionFalse, gbv1.ReasonConfigFailed,
		fmt.Sprintf("writing %s failed: %v%s", asked, err, notAgain), gen}, failed
}

// describeSettings says what a device keeps: "a keepalive every 30s, 3 missed before it
// counts itself offline"; zero values are left out.
func describeSettings(intervalSeconds, count int) string {
	interval := time.Duration(min(intervalSeconds, 1<<30)) * time.Second // a device's number cannot overflow
	switch {
	case intervalSeconds > 0 && count > 0:
		return fmt.Sprintf("a keepalive every %v, %d missed before offline", interval, count)
	case intervalSeconds > 0:
		return fmt.Sprintf("a keepalive every %v", interval)
	case count > 0:
		return fmt.Sprintf("%d missed keepalives before offline", count)
	}
	return "no keepalive settings"
}
