package sim

import (
	"context"
	"time"
)

// A reboot, as a TeleBoot control asks for or as some vendors do after a DeviceConfig:
// the device drops its streams and subscriptions (a power cycle loses them), unregisters
// when it is polite enough to (TeleBoot), and stays deaf for Control.RebootDelay: the
// platform's requests get no answer, as a device that is booting gives none. Then its
// life cycle (Run or a Fleet) registers it afresh, with a new Call-ID, as at power-on.
// A device whose life nobody runs (tests calling Register by hand) stays down.

// reboot takes the device down now and brings it back after the reboot delay.
func (d *Device) reboot(unregister bool) {
	st := d.state()
	st.mu.Lock()
	st.rebootAt = time.Now().Add(d.cfg.Control.RebootDelay)
	st.mu.Unlock()
	d.log.Info("rebooting", "for", d.cfg.Control.RebootDelay, "unregister", unregister)
	d.stopStreams()
	d.endSubscriptions()
	if unregister {
		ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
		if err := d.Unregister(ctx); err != nil {
			d.log.Info("unregistering before the reboot failed", "error", err)
		}
		cancel()
	}
	d.forget()
	d.newRegistrationDialog()
	d.wake()
}

// rebootingUntil reports whether the device is rebooting, and until when.
func (d *Device) rebootingUntil() (time.Time, bool) {
	st := d.stateIfAny()
	if st == nil {
		return time.Time{}, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rebootAt, !st.rebootAt.IsZero()
}

// rebooting reports whether the device is down for a reboot now.
func (d *Device) rebooting() bool {
	at, ok := d.rebootingUntil()
	return ok && time.Now().Before(at)
}

func (d *Device) endReboot() {
	if st := d.stateIfAny(); st != nil {
		st.mu.Lock()
		st.rebootAt = time.Time{}
		st.mu.Unlock()
	}
}

// newRegistrationDialog starts the next registration on a new Call-ID, as a device
// that lost its memory does.
func (d *Device) newRegistrationDialog() {
	d.op.Lock()
	defer d.op.Unlock()
	d.callID, d.fromTag, d.cseq = newToken(16)+"@camsim", newToken(8), 1
	d.chal, d.nc = nil, 0
}
