package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"
)

// The comparison's ladder: each rate offered to each target in turn, sipp's targets at
// --compare-rates, the lean client's on above them at --compare-lean-rates, a target
// left out once it is overloaded.

// ladderTarget is one target of the ladder (its generator is target's): where its
// registrar listens, how to place the processes for it, and whether it is the operator
// (whose status writes are counted).
type ladderTarget struct {
	target *compareTarget
	addr   string
	place  func() error
	writes bool
	cpus   string
}

// ladderRates are the rates the ladder visits: o.compareRates, then the lean rates above
// their last.
func ladderRates(o opts) []int {
	top := o.compareRates[len(o.compareRates)-1]
	rates := slices.Clone(o.compareRates)
	for _, r := range o.compareLeanRates {
		if r > top {
			rates = append(rates, r)
		}
	}
	return rates
}

// runLadder offers each rate to each target in turn, appending each step to its target.
func runLadder(ctx context.Context, op *compareOperator, o opts, load sippLoad, work string, targets []ladderTarget) error {
	sippTop := o.compareRates[len(o.compareRates)-1]
	for _, rate := range ladderRates(o) {
		for _, t := range targets {
			if t.target.overloaded() || (t.target.Generator == generatorSipp && rate > sippTop) {
				continue
			}
			if err := t.place(); err != nil {
				return err
			}
			t.target.Steps = append(t.target.Steps, runLadderStep(ctx, op, o, load, work, t, rate))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Let the last calls' retransmission timers run out before the other target.
			time.Sleep(time.Second)
		}
	}
	return nil
}

// runLadderStep offers rate to t for one step; a step that could not run says why in
// its Error.
func runLadderStep(ctx context.Context, op *compareOperator, o opts, load sippLoad, work string, t ladderTarget, rate int) compareStep {
	slog.Info("side-by-side step", "target", t.target.Name, "topology", t.target.Topology, "generator", t.target.Generator, "rate", rate, "for", o.compareStep)
	l := load
	l.rate, l.server, l.cpus = rate, t.addr, t.cpus
	l.dir = filepath.Join(work, fmt.Sprintf("%s-%s-%s-%d", slug(t.target.Name), slug(t.target.Topology), slug(t.target.Generator), rate))
	var before float64
	if t.writes {
		before, _ = op.statusWrites(ctx)
	}
	var profiled func()
	if t.writes && o.comparePprof != "" {
		profiled = profileCPU(ctx, o.comparePprof, o.compareStep, filepath.Join(l.dir, "operator-cpu.pprof"))
	}
	step, err := runStep(ctx, t.target.Generator, l)
	if profiled != nil {
		profiled()
	}
	if err != nil {
		step.Error = err.Error()
		slog.Warn("side-by-side step failed", "target", t.target.Name, "generator", t.target.Generator, "rate", rate, "err", err)
	}
	if t.writes && step.Counts.Successful > 0 {
		if after, err := op.statusWrites(ctx); err == nil {
			per := (after - before) / float64(step.Counts.Successful)
			step.StatusWritesPerRegistration = &per
		}
	}
	return step
}
