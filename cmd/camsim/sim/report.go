package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
