package camera

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/controllers/devices"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// A device's DeviceStatus answer, asked after each registration and each refresh, into
// status.deviceStatus; and its clock. Devices set their clocks from the Date header of
// the registrar's answer to REGISTER, a local time in the operator's --sip-timezone, and
// report it as a local time without a zone: read in the same zone, the device's time
// against when its answer arrived is how far its clock is off. Past
// Options.MaxClockOffset the ClockSynchronized condition is False: recordings are
// searched by the device's clock, so a device whose clock is off is searched at the
// wrong times. The offset is whole seconds, as device clocks are.

// clockOptions say how a device's clock is read and checked.
type clockOptions struct {
	// location is the zone of the devices' clocks.
	location *time.Location
	// maxOffset is the largest offset ClockSynchronized tolerates.
	maxOffset time.Duration
}

// Bounds of the strings of a DeviceStatus, as the API declares them.
const (
	maxDeviceStatusLen = 64
	maxOnOffLen        = 16
	maxAlarmInputs     = 256
)

// deviceStatusFrom converts a DeviceStatus answer that arrived at: its strings bounded,
// its clock read in c's zone. A DeviceTime the operator cannot read leaves deviceTime
// and clockOffset out.
func deviceStatusFrom(d *manscdp.DeviceStatus, at time.Time, c clockOptions) *gbv1.DeviceStatus {
	ds := &gbv1.DeviceStatus{
		Online:    strings.EqualFold(strings.TrimSpace(d.Online), manscdp.Online),
		Status:    deviceWorkStatus(d),
		Encode:    devices.Clean(d.Encode, maxOnOffLen),
		Record:    devices.Clean(d.Record, maxOnOffLen),
		QueriedAt: toTime(at),
	}
	if t, err := manscdp.ParseTime(d.DeviceTime, c.location); err == nil && d.DeviceTime != "" {
		dt := toTime(t)
		offset := metav1.Duration{Duration: t.Sub(at).Round(time.Second)}
		ds.DeviceTime, ds.ClockOffset = &dt, &offset
	}
	seen := make(map[string]bool, min(len(d.Alarms), maxAlarmInputs))
	for _, a := range d.Alarms {
		id := devices.Clean(a.DeviceID, maxIDLen)
		if id == "" || seen[id] {
			continue // the list is a map by id
		}
		if len(ds.AlarmInputs) == maxAlarmInputs {
			break
		}
		seen[id] = true
		ds.AlarmInputs = append(ds.AlarmInputs, gbv1.AlarmInputStatus{ID: id, DutyStatus: devices.Clean(a.DutyStatus, maxOnOffLen)})
	}
	return ds
}

// deviceWorkStatus is the device's working status, with the reason it gives for an ERROR.
func deviceWorkStatus(d *manscdp.DeviceStatus) string {
	s := d.Status
	if r := strings.TrimSpace(d.Reason); r != "" {
		s += ": " + r
	}
	return devices.Clean(s, maxDeviceStatusLen)
}

// applyDeviceStatus writes a DeviceStatus answer into st, and the ClockSynchronized
// condition when the device said its time.
func applyDeviceStatus(st *gbv1.CameraStatus, o *observation) {
	d := o.query.detail
	if d == nil || d.status == nil {
		return
	}
	st.DeviceStatus = deviceStatusFrom(d.status, d.statusAt, o.clock)
	if off := st.DeviceStatus.ClockOffset; off != nil {
		status, reason, msg := clockCondition(off.Duration, o.clock.maxOffset)
		setCondition(st, gbv1.ConditionClockSynchronized, status, reason, msg, o.generation, o.now)
	}
}

// clockCondition is the ClockSynchronized condition of a device whose clock is offset
// ahead of the platform's. Its message names the offset only when it is too large, so
// a clock within the bound that drifts a second costs no status write.
func clockCondition(offset, bound time.Duration) (metav1.ConditionStatus, string, string) {
	if offset.Abs() <= bound {
		return metav1.ConditionTrue, gbv1.ReasonClockInSync,
			fmt.Sprintf("the device's clock is within %v of the platform's", bound)
	}
	dir := "ahead of"
	if offset < 0 {
		dir = "behind"
	}
	return metav1.ConditionFalse, gbv1.ReasonClockSkewed,
		fmt.Sprintf("the device's clock is %v %s the platform's (more than %v): it did not set its clock from the registrar's Date header, or keeps another time zone than the operator's --sip-timezone; its recordings are searched by its own clock, at the wrong times",
			offset.Abs(), dir, bound)
}
