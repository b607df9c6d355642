package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/internal/kubetest"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// The side-by-side comparison (`make bench-compare`): the same sipp digest REGISTER load
// (test/bench/sipp/register-load.xml, a password per device, each device registering
// again and again as the calls cycle through the fleet) offered at increasing rates,
// alternately to Kamailio and to the operator's registrar, both on this machine.
//
// The operator's side is its registrar alone: sipd.Server in this process with a
// static credential store, as Kamailio has its db_text table; neither has an API server
// behind it. Alternating the targets at each rate spreads the machine's changing load
// over both.

// compareStep is one sipp run at one offered rate against one target.
type compareStep struct {
	Rate int `json:"offered_rate_cps"`
	// Calls is how many calls the step offers (Rate times the step's length).
	Calls  int        `json:"offered_calls"`
	Counts sippCounts `json:"counts"`
	// AchievedRate is sipp's cumulative call rate: the calls over the whole run, the
	// wait for the last answers included, so a little under Rate even when all is well.
	AchievedRate float64 `json:"achieved_rate_cps"`
	// Error is why the step has no figures (sipp did not finish).
	Error string `json:"error,omitempty"`
}

// compareTarget is one registrar's steps.
type compareTarget struct {
	Name         string        `json:"name"`
	Steps        []compareStep `json:"steps"`
	HighestClean int           `json:"highest_clean_rate_cps"`
	Skipped      string        `json:"skipped,omitempty"`
}

// compareResult is the comparison's figures.
type compareResult struct {
	// LoadAverage is the machine's 1-minute load average before and after: the
	// comparison shares the machine, and these say how much.
	LoadAverage [2]float64 `json:"load_average_before_after"`
	Devices     int        `json:"devices"`
	Step        string     `json:"step"`
	// KamailioChildren is the UDP worker processes Kamailio ran with.
	KamailioChildren int             `json:"kamailio_children"`
	Targets          []compareTarget `json:"targets"`
	// Ratio is the operator's highest clean rate over Kamailio's (0 when either is
	// missing or Kamailio had no clean step).
	Ratio float64 `json:"ratio_operator_over_kamailio"`
}

// comparePassword is each device's password: one per device, as in a real fleet.
func comparePassword(id string) string { return "pw-" + id[len(id)-6:] }

const (
	operatorTarget = "operator registrar"
	kamailioTarget = "kamailio"
)

// runCompare runs the comparison, writing sipp's and Kamailio's files under work.
func runCompare(ctx context.Context, o opts, work string) (res compareResult, err error) {
	res = compareResult{Devices: o.compareDevices, Step: o.compareStep.String(), KamailioChildren: o.kamailioChildren,
		LoadAverage: [2]float64{loadAverage()}}
	defer func() { res.LoadAverage[1] = loadAverage() }()
	sippBin, err := exec.LookPath("sipp")
	if err != nil {
		return res, errors.New("sipp is not installed (Debian package sip-tester)")
	}
	ids, err := fleetIDs(firstDevice, o.compareDevices)
	if err != nil {
		return res, err
	}
	passwords := make(map[string]string, len(ids))
	for _, id := range ids {
		passwords[id] = comparePassword(id)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return res, err
	}
	csv := filepath.Join(work, "devices.csv")
	if err := writeSippDevices(csv, ids, comparePassword); err != nil {
		return res, err
	}

	srv, stopRegistrar, err := startRegistrarAlone(ctx, sipdtest.NewStore(passwords))
	if err != nil {
		return res, err
	}
	defer stopRegistrar()
	type live struct {
		target *compareTarget
		addr   string
	}
	res.Targets = []compareTarget{{Name: kamailioTarget}, {Name: operatorTarget}}
	targets := []live{{&res.Targets[1], srv.UDPAddr()}}
	if bin, err := kamailioBinary(); err != nil {
		res.Targets[0].Skipped = "kamailio is not installed (Debian package kamailio): its side is skipped"
		slog.Warn(res.Targets[0].Skipped)
	} else {
		k, err := startKamailio(ctx, bin, filepath.Join(work, "kamailio"), o.kamailioChildren, ids, comparePassword)
		if err != nil {
			return res, err
		}
		defer k.stop()
		targets = append([]live{{&res.Targets[0], k.addr}}, targets...)
	}

	scenario := filepath.Join(kubetest.RepoRoot(), "test", "bench", "sipp", "register-load.xml")
	defer res.judge()
	for _, rate := range o.compareRates {
		for _, t := range targets {
			if t.target.overloaded() {
				continue
			}
			slog.Info("side-by-side step", "target", t.target.Name, "rate", rate, "for", o.compareStep)
			dir := filepath.Join(work, fmt.Sprintf("%s-%d", strings.ReplaceAll(t.target.Name, " ", "-"), rate))
			step, err := runSippStep(ctx, sippBin, scenario, csv, dir, t.addr, rate, o.compareStep)
			if err != nil {
				step.Error = err.Error()
				slog.Warn("side-by-side step failed", "target", t.target.Name, "rate", rate, "err", err)
			}
			t.target.Steps = append(t.target.Steps, step)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			// Let the last calls' retransmission timers run out before the other target.
			time.Sleep(time.Second)
		}
	}
	return res, nil
}

// overloaded reports whether the target's last two steps were not clean: higher
// rates would only be worse, and such steps take sipp's whole drain time, so the
// comparison offers it no more. One unclean step is not enough, as the load of the
// machine the comparison shares moves from step to step.
func (t *compareTarget) overloaded() bool {
	n := len(t.Steps)
	return n >= 2 && !t.Steps[n-1].clean() && !t.Steps[n-2].clean()
}

// judge fills in each target's highest clean rate and the ratio of the two.
func (r *compareResult) judge() {
	for i := range r.Targets {
		r.Targets[i].HighestClean = highestCleanRate(r.Targets[i].Steps)
	}
	if k, op := r.Targets[0].HighestClean, r.Targets[1].HighestClean; k > 0 {
		r.Ratio = float64(op) / float64(k)
	}
}
