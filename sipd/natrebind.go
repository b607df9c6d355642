package sipd

import "net/netip"

// A NAT may give a device's UDP flow a new external port (its mapping timed out, or
// the router restarted) while the device stays registered. Its keepalives then arrive
// from the registered IP on a new port, and requests sent to the old port are lost.
// The binding follows the port of the latest keepalive. The IP must stay the same: a
// device from a new IP must register again (and authenticate). Over TCP the connection
// identifies the device, so a TCP binding never moves this way.

// followPort points id's UDP binding at src when src is the registered IP on another
// port. It reports whether the binding moved.
func (t *bindingTable) followPort(id string, src source) bool {
	if src.transport != "UDP" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.devices[id]
	if e == nil || !e.live || e.binding.Transport != "UDP" {
		return false
	}
	registered, err := netip.ParseAddrPort(e.binding.RemoteAddr)
	if err != nil || registered == src.addr || registered.Addr().Unmap() != src.addr.Addr() {
		return false
	}
	e.binding.RemoteAddr = src.addr.String()
	return true
}
