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
// "progress" every --progress interval, then one of kind "summary" at exit.

// ReportKind says what a Report line is.
type ReportKind string

const (
	// ReportProgress is a running total, printed every --progress interval.
	ReportProgress ReportKind = "progress"
	// ReportSummary is the final figures, printed once at exit.
	ReportSummary ReportKind = "summary"
)

// Report is one line of `camsim --output json`: the fleet's Summary at a moment.
type Report struct {
	Kind ReportKind `json:"kind"`
	At   time.Time  `json:"at"`
	// RecentPerSecond is the registrations per second since the previous progress
	// report (progress reports only).
	RecentPerSecond float64 `json:"recent_registrations_per_second,omitempty"`
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
// watches it: the latest progress report, when every device was first registered, and
// the summary at exit. Its methods are safe while Follow runs.
type Follower struct {
	mu          sync.Mutex
	progress    Report
	allAt       time.Time
	summary     *Summary
	err         error
	followEnded bool
}

// Follow reads r (camsim's stdout) until it ends.
func (f *Follower) Follow(r io.Reader) {
	err := ReadReports(r, func(rep Report) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if rep.Kind == ReportSummary {
			f.summary = &rep.Summary
			return
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
