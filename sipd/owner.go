package sipd

import "errors"

// One registrar serves the devices of many Cameras, in many namespaces. Whoever asks it
// to act on a device (query it, invite one of its channels) names the device and itself:
// the registrar acts only through a binding that the asker's credentials accepted
// (Credentials.Owner, for the operator the Camera's UID). A Camera that claims another
// namespace's device ID, and shows Conflict, so never reaches that device.

// DeviceRef names a device on behalf of Owner, the Credentials.Owner its binding must
// have been accepted with.
type DeviceRef struct {
	ID    string
	Owner string
}

// ErrNotOwner means the device's live registration was accepted with another owner's
// credentials.
var ErrNotOwner = errors.New("sipd: the device's registration belongs to another owner")

// lookupOwned returns dev's live binding if dev.Owner holds it.
func (t *bindingTable) lookupOwned(dev DeviceRef) (Binding, error) {
	b, ok := t.lookup(dev.ID)
	switch {
	case !ok:
		return Binding{}, ErrNotRegistered
	case b.Owner != dev.Owner:
		return Binding{}, ErrNotOwner
	}
	return b, nil
}
