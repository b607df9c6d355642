package command

import (
	"slices"
	"strings"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

// The commands of one Camera go to its device one at a time, in creation order: by
// creationTimestamp, then (for commands created within the same second, the
// timestamp's resolution) by name. A command is the Camera's to send only when every
// older command of the Camera has finished (Succeeded or Failed) or is gone; a move
// holds its turn until its stop has gone too, and a deleted move until its finalizer
// has sent the stop.
//
// The queue is read from the cache, which is safe: the cache receives the commands'
// creations in the API server's order, so it never holds a younger command without the
// older ones, and a finished command never becomes unfinished, so a stale copy can only
// make a command wait longer, never go early.

// finished reports whether c has reached its last phase.
func finished(c *gbv1.CameraCommand) bool {
	return c.Status.Phase == gbv1.CommandSucceeded || c.Status.Phase == gbv1.CommandFailed
}

// older orders commands by creation: timestamp, then name.
func older(a, b *gbv1.CameraCommand) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// blockerOf returns the name of the oldest unfinished command of queue (the commands of
// self's Camera) created before self: the one self waits for; "" when it is self's
// turn.
func blockerOf(self *gbv1.CameraCommand, queue []*gbv1.CameraCommand) string {
	var blocker *gbv1.CameraCommand
	for _, c := range queue {
		if c.UID == self.UID || finished(c) || older(c, self) >= 0 {
			continue
		}
		if blocker == nil || older(c, blocker) < 0 {
			blocker = c
		}
	}
	if blocker == nil {
		return ""
	}
	return blocker.Name
}

// oldestUnfinished returns at most limit unfinished commands of queue, oldest first:
// those worth looking at again when one of them finishes or their Camera changes.
func oldestUnfinished(queue []*gbv1.CameraCommand, limit int) []*gbv1.CameraCommand {
	var out []*gbv1.CameraCommand
	for _, c := range queue {
		if !finished(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, older)
	return out[:min(len(out), limit)]
}
