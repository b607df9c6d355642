package main

// A comparison step is clean when every call offered registered and the peers barely
// had to retransmit: then the target kept up with the offered rate. The highest clean
// rate is the figure the comparison reports for each target.

// maxCleanRetransRatio is the share of retransmitted requests a clean step may have:
// below 1 % a few datagrams lost in socket buffers, above it a target falling behind.
const maxCleanRetransRatio = 0.01

// clean reports whether a step had no failed call and retransmissions under 1 % of the
// requests sent. A step that registered nothing is not clean.
func (c sippCounts) clean() bool {
	if c.Failed != 0 || c.Successful == 0 {
		return false
	}
	return float64(c.Retransmissions) < maxCleanRetransRatio*float64(c.Requests)
}

// clean reports whether sipp made every call the step offered and the calls were
// clean: a sipp that cannot keep up (sharing the CPU with the target) makes fewer.
func (s compareStep) clean() bool {
	return s.Error == "" && s.Counts.Created == int64(s.Calls) && s.Counts.clean()
}

// highestCleanRate returns the highest offered rate among the clean steps, 0 if none.
// A clean step above a failed one still counts: the load of the machine the comparison
// shares moves from step to step, and each step stands for itself.
func highestCleanRate(steps []compareStep) int {
	best := 0
	for _, s := range steps {
		if s.clean() && s.Rate > best {
			best = s.Rate
		}
	}
	return best
}
