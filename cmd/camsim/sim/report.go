package sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// `camsim --output json` writes JSON lines on stdout for programs (the benchmarks, the
// end-to-end suite) to read instead of the human progress line: one Report of kind
// "progress" every --progress interval, one of kind "device" each time a device's state
// changes (a control, a subscription, an alarm), then one of kind "summary" at exit.

// ReportKind says what a Report line is.
type ReportKind string

const (
	// ReportProgress is a running total, printed every --progress interval.
	ReportProgress ReportKind = "progress"
	// ReportSummary is the final figures, printed once at exit.
	ReportSummary ReportKind = "summary"
	// ReportDevice is a device's state after a change; its Summary is empty.
	ReportDevice ReportKind = "device"
)

// Report is one line of `camsim --output json`: the fleet's Summary at a moment.
type Report struct {
	Kind ReportKind `json:"kind"`
	At   time.Time  `json:"at"`
	// RecentPerSecond is the registrations per second since the previous progress
	// report (progress reports only).
	RecentPerSecond float64 `json:"recent_registrations_per_second,omitempty"`
	// Device is the device's state (device reports only).
	Device *DeviceState `json:"device,omitempty"`
	Summary
}

// WriteReport writes r as one JSON line.
func WriteReport(w io.Writer, r Report) error {
	return json.NewEncoder(w).Encode(r)
}

// ReadReports calls fn with each Report line of r until r ends. Lines that are not
// JSON objects are an error: camsim writes its logs to stderr, never among these.
func ReadReports(r io.Reader, fn func(Report)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rep Report
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			return fmt.Errorf("camsim report %q: %w", sc.Text(), err)
		}
		fn(rep)
	}
	return sc.Err()
}

// Follower reads a camsim's reports as they come, for a program that runs camsim and
// watches it: the latest progress report, when every device was first registered, the
// latest state of each device that reported one, and the summary at exit. Its methods
// are safe while Follow runs.
type Follower struct {
	mu          sync.Mutex
	progress    Report
	allAt       time.Time
	summary     *Summary
	devices     map[string]DeviceState
	err         error
	followEnded bool
}

// maxFollowedDevices bounds the device states a Follower keeps.
const maxFollowedDevices = 100000

// Follow reads r (camsim's stdout) until it ends.
func (f *Follower) Follow(r io.Reader) {
	err := ReadReports(r, func(rep Report) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch rep.Kind {
		case ReportSummary:
			f.summary = &rep.Summary
			return
		case ReportDevice:
			if rep.Device == nil {
				return
			}
			if f.devices == nil {
				f.devices = make(map[string]DeviceState)
			}
			if _, known := f.devices[rep.Device.ID]; known || len(f.devices) < maxFollowedDevices {
				f.devices[rep.Device.ID] = *rep.Device
			}
			return
		case ReportProgress:
		default:
			return // a kind of a later camsim
		}
		f.progress = rep
		if f.allAt.IsZero() && rep.Devices > 0 && rep.Registered >= int64(rep.Devices) {
			f.allAt = rep.At
		}
	})
	f.mu.Lock()
	f.err, f.followEnded = err, true
	f.mu.Unlock()
}

// Progress is the latest progress report (zero before the first).
func (f *Follower) Progress() Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.progress
}

// Device is the latest state device id reported, and whether it reported one.
func (f *Follower) Device(id string) (DeviceState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.devices[id]
	return s, ok
}

// AllRegisteredAt is the time of the first progress report in which every device was
// registered (zero until then).
func (f *Follower) AllRegisteredAt() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allAt
}

// Summary is the summary camsim printed at exit, or why there is none.
func (f *Follower) Summary() (Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.summary != nil:
		return *f.summary, nil
	case f.err != nil:
		return Summary{}, f.err
	case !f.followEnded:
		return Summary{}, errors.New("camsim is still running")
	}
	return Summary{}, errors.New("camsim printed no summary")
}
