package main

import (
	"context"
	"errors"
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
// again and again as the calls cycle through the fleet; the socket answers the
// registrar's queries as a device does, answer-queries.xml) offered at increasing
// rates, alternately to Kamailio and to the operator, both on this machine.
//
// The operator is the binary users run, with its controllers, caches and an API server
// beside it (compare_operator.go), in two topologies (pin.go): as `make dev` runs it,
// everything free on every core, and production-like, the registrar under test alone on
// one core and the API server, etcd and sipp on the other. Kamailio runs in the same
// places at the same rates. The registrar alone (sipd.Server in this process with a
// static credential store, as Kamailio has its db_text table) keeps its row beside
// them. Alternating the targets at each rate spreads the machine's changing load over
// all of them.
//
// Past 8,000 calls a second, on the core it shares with the API server and etcd, sipp
// drops at its socket answers it did not read in time, in most runs, and its steps
// measure sipp as much as the target. So the operator and Kamailio are offered the same
// calls by the lean client too (leanload.go, which has kept up so far), in the
// production-like topology, at the same rates and on above them (--compare-lean-rates)
// until each is overloaded: that ladder finds the operator's clean rate where sipp
// cannot, and the overload step is run with both generators.

// compareStep is one sipp run at one offered rate against one target.
type compareStep struct {
	Rate int `json:"offered_rate_cps"`
	// Calls is how many calls the step offers (Rate times the step's length).
	Calls  int        `json:"offered_calls"`
	Counts sippCounts `json:"counts"`
	// AchievedRate is sipp's cumulative call rate: the calls over the whole run, the
	// wait for the last answers included, so a little under Rate even when all is well.
	AchievedRate float64 `json:"achieved_rate_cps"`
	// StatusWritesPerRegistration is the operator's Camera status writes during the
	// step over its successful registrations (operator steps only).
	StatusWritesPerRegistration *float64 `json:"status_writes_per_registration,omitempty"`
	// Drops is the datagrams the kernel dropped during the step for full receive
	// buffers, at the target's socket and elsewhere (udpdrops.go); nil where /proc does
	// not say.
	Drops *udpDrops `json:"udp_drops,omitempty"`
	// Error is why the step has no figures (sipp did not finish).
	Error string `json:"error,omitempty"`
}

// compareTarget is one registrar's steps in one topology, offered by one generator.
type compareTarget struct {
	Name     string `json:"name"`
	Topology string `json:"topology"`
	// Generator made the calls: sipp, or the lean client (leanload.go).
	Generator    string        `json:"generator"`
	Steps        []compareStep `json:"steps"`
	HighestClean int           `json:"highest_clean_rate_cps"`
	Skipped      string        `json:"skipped,omitempty"`
}

// compareRatio is the operator's highest clean rate over Kamailio's in one topology,
// offered by one generator.
type compareRatio struct {
	Topology  string  `json:"topology"`
	Generator string  `json:"generator"`
	Operator  int     `json:"operator_cps"`
	Kamailio  int     `json:"kamailio_cps"`
	Ratio     float64 `json:"ratio"`
}

// compareResult is the comparison's figures.
type compareResult struct {
	// LoadAverage is the machine's 1-minute load average before and after: the
	// comparison shares the machine, and these say how much.
	LoadAverage [2]float64 `json:"load_average_before_after"`
	Devices     int        `json:"devices"`
	Step        string     `json:"step"`
	// KamailioChildren is the UDP worker processes Kamailio ran with.
	KamailioChildren int `json:"kamailio_children"`
	// Pinning says why the production-like topology was not measured, if it was not.
	Pinning string `json:"pinning,omitempty"`
	// Storm is the operator's first registration of every device.
	Storm   *compareStorm   `json:"storm,omitempty"`
	Targets []compareTarget `json:"targets"`
	Ratios  []compareRatio  `json:"ratios"`
	// Overload is the operator at twice its clean rate (production-like when measured),
	// offered by sipp; LeanOverload the same offered by the lean client, which keeps up
	// where sipp, sharing a core with the API server and etcd, drops its answers.
	Overload     *compareOverload `json:"overload,omitempty"`
	LeanOverload *compareOverload `json:"lean_overload,omitempty"`
}

// comparePassword is each device's password: one per device, as in a real fleet.
func comparePassword(id string) string { return "pw-" + id[len(id)-6:] }

const (
	operatorTarget  = "operator"
	kamailioTarget  = "kamailio"
	registrarTarget = "registrar alone"
	inProcess       = "in the bench's process"
)

// compareTopologies are the placements measured on this machine.
func compareTopologies() ([]topology, string) {
	if why := pinningPossible(); why != "" {
		return []topology{topologyDev}, why
	}
	return []topology{topologyDev, topologyProduction}, ""
}

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
	topologies, why := compareTopologies()
	res.Pinning = why

	srv, stopRegistrar, err := startRegistrarAlone(ctx, sipdtest.NewStore(passwords))
	if err != nil {
		return res, err
	}
	defer stopRegistrar()
	var k *kamailio
	bin, kerr := kamailioBinary()
	if kerr == nil {
		if k, err = startKamailio(ctx, bin, filepath.Join(work, "kamailio"), o.kamailioChildren, ids, comparePassword); err != nil {
			return res, err
		}
		defer k.stop()
	}
	op, err := startCompareOperator(ctx, o, filepath.Join(work, "operator"), ids, comparePassword)
	if err != nil {
		return res, err
	}
	defer op.stop()

	bench := filepath.Join(kubetest.RepoRoot(), "test", "bench", "sipp")
	load := sippLoad{bin: sippBin, scenario: filepath.Join(bench, "register-load.xml"), oocsf: filepath.Join(bench, "answer-queries.xml"),
		csv: csv, step: o.compareStep}
	// The devices' socket keeps its port for the whole run, so queries the operator
	// sends a device between steps reach the next step's sipp.
	if load.port, err = freeUDPPort(); err != nil {
		return res, err
	}

	// Targets in the order each rate visits them.
	var targets []ladderTarget
	for _, t := range topologies {
		res.Targets = append(res.Targets, compareTarget{Name: kamailioTarget, Topology: t.Name, Generator: generatorSipp},
			compareTarget{Name: operatorTarget, Topology: t.Name, Generator: generatorSipp})
	}
	storm := topologies[len(topologies)-1]
	res.Targets = append(res.Targets, compareTarget{Name: kamailioTarget, Topology: storm.Name, Generator: generatorLean},
		compareTarget{Name: operatorTarget, Topology: storm.Name, Generator: generatorLean},
		compareTarget{Name: registrarTarget, Topology: inProcess, Generator: generatorSipp})
	addPair := func(t topology, kt, ot *compareTarget) {
		if k == nil {
			kt.Skipped = "kamailio is not installed (Debian package kamailio): its side is skipped"
		} else {
			targets = append(targets, ladderTarget{target: kt, addr: k.addr, cpus: t.sippCPUs(), place: func() error {
				return errors.Join(op.place(t), k.place(t))
			}})
		}
		targets = append(targets, ladderTarget{target: ot, addr: op.op.sipAddr, cpus: t.sippCPUs(), writes: true, place: func() error {
			return errors.Join(op.place(t), kamailioPlace(k, t))
		}})
	}
	for i, t := range topologies {
		addPair(t, &res.Targets[2*i], &res.Targets[2*i+1])
	}
	n := len(res.Targets)
	addPair(storm, &res.Targets[n-3], &res.Targets[n-2])
	targets = append(targets, ladderTarget{target: &res.Targets[n-1], addr: srv.UDPAddr(), place: func() error {
		return errors.Join(op.place(topologyDev), kamailioPlace(k, topologyDev))
	}})

	defer res.judge()
	if res.Storm, err = runStorm(ctx, op, load, storm, o, filepath.Join(work, "storm"), len(ids)); err != nil {
		return res, err
	}
	if err := runLadder(ctx, op, o, load, work, targets); err != nil {
		return res, err
	}
	res.judge()
	if res.Overload, err = runOverload(ctx, op, k, load, storm, res.operatorTarget(storm, generatorSipp), filepath.Join(work, "overload")); err != nil {
		return res, err
	}
	time.Sleep(time.Second)
	if res.LeanOverload, err = runOverload(ctx, op, k, load, storm, res.operatorTarget(storm, generatorLean), filepath.Join(work, "overload-lean")); err != nil {
		return res, err
	}
	return res, nil
}

// kamailioPlace places k as t says; nothing when Kamailio is not installed.
func kamailioPlace(k *kamailio, t topology) error {
	if k == nil {
		return nil
	}
	return k.place(t)
}

// slug is s as a file name.
func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '/' {
			return '-'
		}
		return r
	}, s)
}

// overloaded reports whether the target's last two steps were not clean: higher
// rates would only be worse, and such steps take sipp's whole drain time, so the
// comparison offers it no more. One unclean step is not enough, as the load of the
// machine the comparison shares moves from step to step.
func (t *compareTarget) overloaded() bool {
	n := len(t.Steps)
	return n >= 2 && !t.Steps[n-1].clean() && !t.Steps[n-2].clean()
}

// judge fills in each target's highest clean rate and the ratio of the operator's to
// Kamailio's in each topology and with each generator.
func (r *compareResult) judge() {
	for i := range r.Targets {
		r.Targets[i].HighestClean = highestCleanRate(r.Targets[i].Steps)
	}
	r.Ratios = r.Ratios[:0]
	for _, k := range r.Targets {
		if k.Name != kamailioTarget || k.Skipped != "" {
			continue
		}
		for _, op := range r.Targets {
			if op.Name == operatorTarget && op.Topology == k.Topology && op.Generator == k.Generator {
				ratio := compareRatio{Topology: k.Topology, Generator: k.Generator, Operator: op.HighestClean, Kamailio: k.HighestClean}
				if k.HighestClean > 0 {
					ratio.Ratio = float64(op.HighestClean) / float64(k.HighestClean)
				}
				r.Ratios = append(r.Ratios, ratio)
			}
		}
	}
}

// operatorTarget is the operator's target in t offered by generator.
func (r *compareResult) operatorTarget(t topology, generator string) *compareTarget {
	for i := range r.Targets {
		if x := &r.Targets[i]; x.Name == operatorTarget && x.Topology == t.Name && x.Generator == generator {
			return x
		}
	}
	return nil
}
