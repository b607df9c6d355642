package sipd

import "time"

// A NAT may give a device's UDP flow a new external port (its mapping timed out, or
// the router restarted) while the device stays registered. Its keepalives then arrive
// from the registered IP on a new port, and requests sent to the old port are lost.
//
// A keepalive is not authenticated, so one from a new port does not move the binding
// while the device is alive at the old one: the next INVITE would go to whoever sent it,
// with the receiver's address and SSRC, and their 200 would become the dialog. It is
// answered 404, which makes a real device register again, authenticated, from where it
// is now; the binding moves then. So a real rebinding recovers within one keepalive
// interval and one registration round.
//
// The binding follows a keepalive from a new port on its own only when the device has
// evidently moved: the registered IP, over UDP, after the old port has been silent for
// the device's whole keepalive timeout (the one its Camera's silence watch uses, or
// three keepalive intervals). A forger can then take over only a device that would show
// Offline anyway. Over TCP the connection identifies the device, and a new connection
// must register again.

// rebound moves e's UDP binding to src when src is its registered IP on another port
// and the old port has been silent for the device's keepalive timeout (defaultSilence
// when it is not watched). It reports whether it did; mu must be held.
func (t *bindingTable) rebound(e *deviceEntry, src source, now time.Time, defaultSilence time.Duration) bool {
	if src.transport != "UDP" || e.binding.Transport != "UDP" || e.remote.Addr() != src.addr.Addr() {
		return false
	}
	silence := defaultSilence
	if e.silence > 0 {
		silence = e.silence
	}
	if now.Sub(lastSignOfLife(&e.binding)) < silence {
		return false
	}
	e.binding.RemoteAddr = src.addr.String()
	t.setRemote(e)
	return true
}
