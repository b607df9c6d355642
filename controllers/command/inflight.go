package command

// inFlight bounds the DeviceControl MESSAGEs awaiting a device's answer, over all
// Cameras (Options.MaxInFlight). A command that finds no slot waits; it never blocks a
// worker.
type inFlight struct {
	slots chan struct{}
}

func newInFlight(n int) *inFlight { return &inFlight{slots: make(chan struct{}, n)} }

// tryAcquire takes a slot if one is free.
func (f *inFlight) tryAcquire() bool {
	select {
	case f.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// release frees a slot taken by tryAcquire.
func (f *inFlight) release() { <-f.slots }

// busy is the number of slots taken.
func (f *inFlight) busy() int { return len(f.slots) }
