package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The PTZ of one channel: a position (pan, tilt, zoom) as plain numbers that moves at
// the commanded speeds until a stop, so that a test can check that a move of two
// seconds at speed 32 turns the camera by about 64 units. Speeds are PTZCmd's own
// (pan and tilt 0-255, zoom 0-15), in units per second; nothing is clamped, as a test
// wants the arithmetic, not a mechanical stop. The position is computed from the time
// of the last command when read, so a moving camera costs no timer.
//
// Presets store positions (1-255); going to one moves there at once and stops. Cruises,
// scans, the lens (focus, iris) and auxiliary switches are accepted and named in the
// last command, without motion. DragZoomIn/Out zoom one unit in or out.

// PTZPosition is a channel's position.
type PTZPosition struct {
	Pan  float64 `json:"pan"`
	Tilt float64 `json:"tilt"`
	Zoom float64 `json:"zoom"`
}

// PTZState is a channel's PTZ as read at a moment.
type PTZState struct {
	PTZPosition
	// Velocity is the motion in units per second (zero when still).
	Velocity PTZPosition `json:"velocity"`
	// Presets are the stored presets, by ID.
	Presets []manscdp.Preset `json:"presets,omitempty"`
	// Tour names the cruise or scan running ("cruise 1", "scan 0"), "" when none.
	Tour string `json:"tour,omitempty"`
	// Home is the home position last set (HomePosition control), if any.
	Home *manscdp.HomePosition `json:"home,omitempty"`
	// Motions are the channel's last finished motions, oldest first (at most
	// maxMotions): how fast it moved and for how long, as the device saw it, so that a
	// test checks what the platform asked (speed, and a stop no earlier than the
	// duration) whatever the scheduling delays of a loaded machine added to it.
	Motions []PTZMotion `json:"motions,omitempty"`
}

// PTZMotion is one finished motion: a move from its instruction to the instruction that
// ended it (a stop, another move, a preset goto).
type PTZMotion struct {
	Velocity PTZPosition   `json:"velocity"`
	Duration time.Duration `json:"duration"`
}

// maxMotions bounds the motions a channel remembers.
const maxMotions = 16

// Moving reports whether the channel is moving.
func (s PTZState) Moving() bool { return s.Velocity != PTZPosition{} }

// ptzState is a channel's PTZ, guarded by deviceState.mu.
type ptzState struct {
	pos     PTZPosition // at `at`
	vel     PTZPosition
	at      time.Time
	presets map[int]PTZPosition
	tour    string
	home    *manscdp.HomePosition
	// movedSince is when the current motion began (vel non-zero); motions the last
	// finished ones.
	movedSince time.Time
	motions    []PTZMotion
}

// errNoPreset is the answer to a goto of a preset never set.
var errNoPreset = errors.New("sim: no such preset")

func (p *ptzState) position(now time.Time) PTZPosition {
	dt := now.Sub(p.at).Seconds()
	if p.at.IsZero() || dt < 0 {
		dt = 0
	}
	return PTZPosition{Pan: p.pos.Pan + p.vel.Pan*dt, Tilt: p.pos.Tilt + p.vel.Tilt*dt, Zoom: p.pos.Zoom + p.vel.Zoom*dt}
}

// settle fixes the position reached at now, from which a new command starts.
func (p *ptzState) settle(now time.Time) {
	p.pos, p.at = p.position(now), now
}

func (p *ptzState) snapshot(now time.Time) PTZState {
	s := PTZState{PTZPosition: p.position(now), Velocity: p.vel, Tour: p.tour, Presets: presetsOf(p.presets),
		Motions: slices.Clone(p.motions)}
	if p.home != nil {
		h := *p.home
		s.Home = &h
	}
	return s
}

// setVelocity changes the motion at now, recording the motion it ends.
func (p *ptzState) setVelocity(v PTZPosition, now time.Time) {
	if v == p.vel {
		return // the same move again goes on
	}
	if p.vel != (PTZPosition{}) {
		if len(p.motions) == maxMotions {
			p.motions = slices.Delete(p.motions, 0, 1)
		}
		p.motions = append(p.motions, PTZMotion{Velocity: p.vel, Duration: now.Sub(p.movedSince)})
	}
	p.vel, p.movedSince = v, now
}

// apply takes one front-end instruction at now.
func (p *ptzState) apply(in manscdp.PTZInstruction, now time.Time) error {
	p.settle(now)
	switch in := in.(type) {
	case manscdp.PTZMove:
		p.setVelocity(PTZPosition{Pan: float64(in.Pan), Tilt: float64(in.Tilt), Zoom: float64(in.Zoom)}, now)
		if in.IsStop() {
			p.tour = "" // the stop command ends cruises and scans too
		}
	case manscdp.PresetSet:
		if p.presets == nil {
			p.presets = make(map[int]PTZPosition)
		}
		p.presets[in.Index] = p.pos // at most 255: Index is checked by the decoder
	case manscdp.PresetGoto:
		target, ok := p.presets[in.Index]
		if !ok {
			return fmt.Errorf("%w: %d", errNoPreset, in.Index)
		}
		p.setVelocity(PTZPosition{}, now)
		p.pos, p.tour = target, ""
	case manscdp.PresetDelete:
		delete(p.presets, in.Index)
	case manscdp.CruiseStart:
		p.tour = "cruise " + strconv.Itoa(in.Group)
	case manscdp.ScanStart:
		p.tour = "scan " + strconv.Itoa(in.Group)
	}
	return nil
}

// dragZoom zooms one unit in or out.
func (p *ptzState) dragZoom(z manscdp.DragZoom, now time.Time) {
	p.settle(now)
	if z.Out {
		p.pos.Zoom--
	} else {
		p.pos.Zoom++
	}
}

func presetName(id int) string { return "预置点" + strconv.Itoa(id) }

// describePTZ names an instruction for the last command and logs.
func describePTZ(in manscdp.PTZInstruction) string {
	switch in := in.(type) {
	case manscdp.PTZMove:
		if in.IsStop() {
			return "PTZ stop"
		}
		return fmt.Sprintf("PTZ move pan %d tilt %d zoom %d", in.Pan, in.Tilt, in.Zoom)
	case manscdp.PTZFocusIris:
		return fmt.Sprintf("PTZ lens focus %d iris %d", in.Focus, in.Iris)
	case manscdp.PresetSet:
		return fmt.Sprintf("preset set %d", in.Index)
	case manscdp.PresetGoto:
		return fmt.Sprintf("preset goto %d", in.Index)
	case manscdp.PresetDelete:
		return fmt.Sprintf("preset delete %d", in.Index)
	case manscdp.CruiseAdd:
		return fmt.Sprintf("cruise %d add preset %d", in.Group, in.Preset)
	case manscdp.CruiseDelete:
		return fmt.Sprintf("cruise %d delete preset %d", in.Group, in.Preset)
	case manscdp.CruiseSpeed:
		return fmt.Sprintf("cruise %d speed %d", in.Group, in.Speed)
	case manscdp.CruiseDwell:
		return fmt.Sprintf("cruise %d dwell %ds", in.Group, in.Seconds)
	case manscdp.CruiseStart:
		return fmt.Sprintf("cruise %d start", in.Group)
	case manscdp.ScanStart:
		return fmt.Sprintf("scan %d start", in.Group)
	case manscdp.ScanSetLeft:
		return fmt.Sprintf("scan %d set left", in.Group)
	case manscdp.ScanSetRight:
		return fmt.Sprintf("scan %d set right", in.Group)
	case manscdp.ScanSpeed:
		return fmt.Sprintf("scan %d speed %d", in.Group, in.Speed)
	case manscdp.AuxSwitch:
		return fmt.Sprintf("aux switch %d on=%v", in.Number, in.On)
	}
	return fmt.Sprintf("PTZ %T", in)
}
