package sipd

import "sync"

// The bounds of INVITEs in flight: MaxInvites in all and MaxInvitesPerDevice to one
// device, so that a device answering 100 Trying and then nothing holds only its own
// share. A slot is released when the INVITE ends, or when the CANCEL or BYE that ends
// it is done.

// inviteSlots bounds the INVITEs in flight: in all, and to one device.
type inviteSlots struct {
	mu        sync.Mutex
	total     int
	perDevice map[string]int
	max, each int
}

func newInviteSlots(total, each int) *inviteSlots {
	return &inviteSlots{perDevice: make(map[string]int), max: total, each: each}
}

// take reserves a slot for an INVITE to deviceID; false at a bound. release gives it
// back.
func (t *inviteSlots) take(deviceID string) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total >= t.max || t.perDevice[deviceID] >= t.each {
		return nil, false
	}
	t.total++
	t.perDevice[deviceID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.total--
			if n := t.perDevice[deviceID]; n > 1 {
				t.perDevice[deviceID] = n - 1
			} else {
				delete(t.perDevice, deviceID)
			}
		})
	}, true
}
