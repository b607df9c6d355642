package sim

import (
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Stats collects a device's or a fleet's figures. Its memory is fixed: counters, a
// failure table keyed by status code (at most a few hundred keys), and a log-linear
// latency histogram.
type Stats struct {
	regOK, regFailed     atomic.Int64
	unregOK, unregFailed atomic.Int64
	kaOK, kaFailed       atomic.Int64
	queries              atomic.Int64

	mu        sync.Mutex
	failures  map[string]int64
	latency   histogram
	firstSent time.Time // start of the earliest REGISTER exchange
	lastOK    time.Time // end of the latest successful one
}

// NewStats returns empty Stats.
func NewStats() *Stats {
	return &Stats{failures: make(map[string]int64)}
}

// failureKey names a failure in the summary: the SIP status code, or "timeout",
// "algorithm", "error".
func failureKey(err error) string {
	if c := StatusCode(err); c != 0 {
		return strconv.Itoa(c)
	}
	switch {
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrNoAlgorithm):
		return "algorithm"
	}
	return "error"
}

func (s *Stats) recordRegister(latency time.Duration, err error) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if start := now.Add(-latency); s.firstSent.IsZero() || start.Before(s.firstSent) {
		s.firstSent = start
	}
	if err != nil {
		s.regFailed.Add(1)
		s.failures[failureKey(err)]++
		return
	}
	s.regOK.Add(1)
	s.latency.record(latency)
	s.lastOK = now
}

func (s *Stats) recordUnregister(err error) {
	if err != nil {
		s.unregFailed.Add(1)
		return
	}
	s.unregOK.Add(1)
}

func (s *Stats) recordKeepalive(err error) {
	if err != nil {
		s.kaFailed.Add(1)
		return
	}
	s.kaOK.Add(1)
}

// Summary is a snapshot of Stats, in the shape `camsim --json` prints.
type Summary struct {
	Devices   int    `json:"devices"`
	Transport string `json:"transport"`
	// Registered counts successful REGISTER exchanges (first registrations and
	// refreshes); Failed the failed ones, broken down by status code in Failures.
	Registered int64            `json:"registered"`
	Failed     int64            `json:"failed"`
	Failures   map[string]int64 `json:"failures"`
	// ElapsedSeconds runs from the first REGISTER sent to the last 200 OK received;
	// RegistrationsPerSecond is Registered over it.
	ElapsedSeconds         float64 `json:"elapsed_seconds"`
	RegistrationsPerSecond float64 `json:"registrations_per_second"`
	// LatencyMs is the REGISTER→200 time of successful exchanges, challenge round trip
	// included (what a device waits for a registration).
	LatencyMs        Latency `json:"latency_ms"`
	Unregistered     int64   `json:"unregistered"`
	UnregisterFailed int64   `json:"unregister_failed"`
	KeepalivesOK     int64   `json:"keepalives_ok"`
	KeepalivesFailed int64   `json:"keepalives_failed"`
	QueriesAnswered  int64   `json:"queries_answered"`
}

// Latency percentiles in milliseconds. Percentiles come from a log-linear histogram and
// are exact to about 3%; Max is exact.
type Latency struct {
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P99     float64 `json:"p99"`
	Max     float64 `json:"max"`
	Samples int64   `json:"samples"`
}

// Summary returns a snapshot of the figures.
func (s *Stats) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{
		Registered:       s.regOK.Load(),
		Failed:           s.regFailed.Load(),
		Failures:         make(map[string]int64, len(s.failures)),
		Unregistered:     s.unregOK.Load(),
		UnregisterFailed: s.unregFailed.Load(),
		KeepalivesOK:     s.kaOK.Load(),
		KeepalivesFailed: s.kaFailed.Load(),
		QueriesAnswered:  s.queries.Load(),
		LatencyMs: Latency{
			P50:     ms(s.latency.quantile(0.50)),
			P90:     ms(s.latency.quantile(0.90)),
			P99:     ms(s.latency.quantile(0.99)),
			Max:     ms(s.latency.max),
			Samples: s.latency.count,
		},
	}
	for k, v := range s.failures {
		sum.Failures[k] = v
	}
	if !s.firstSent.IsZero() && s.lastOK.After(s.firstSent) {
		el := s.lastOK.Sub(s.firstSent)
		sum.ElapsedSeconds = el.Seconds()
		sum.RegistrationsPerSecond = float64(sum.Registered) / el.Seconds()
	}
	return sum
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// histogram is a log-linear histogram of durations: 16 linear sub-buckets per power of
// two, so any recorded value is reported within about 3%, in a fixed ~8 KiB.
type histogram struct {
	buckets [64 * subBuckets]int64
	count   int64
	max     time.Duration
}

const subBits = 4
const subBuckets = 1 << subBits

func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v in [2^e, 2^(e+1))
	sub := (v >> (e - subBits)) & (subBuckets - 1)
	return (e-subBits+1)*subBuckets + int(sub)
}

// bucketMid is a representative value of bucket i: the middle of its range.
func bucketMid(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	e := i/subBuckets + subBits - 1
	sub := uint64(i % subBuckets)
	lo := (subBuckets + sub) << (e - subBits)
	return lo + (uint64(1)<<(e-subBits))/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[bucketOf(uint64(d))]++
	h.count++
	h.max = max(h.max, d)
}

// quantile returns the value below which a fraction q of the samples lie (0 when empty).
func (h *histogram) quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := int64(q*float64(h.count) + 0.5)
	rank = max(1, min(rank, h.count))
	var seen int64
	for i, n := range h.buckets {
		seen += n
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}
