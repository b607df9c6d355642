package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// One step of the side-by-side comparison: sipp offering register-load.xml at one rate
// for a fixed time, then its counts read back.

// writeSippDevices writes sipp's injection file: device ID, platform ID, SIP domain
// and the device's [authentication] keyword, as register-load.xml reads them.
func writeSippDevices(path string, ids []string, passwordOf func(string) string) error {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "%s;%s;%s;[authentication username=%s password=%s]\n", id, platformID, sipDomain, id, passwordOf(id))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// sippDrain is how long sipp may run after the last call is offered: enough for the
// calls in progress to end or time out, so that none is left uncounted.
const sippDrain = 10 * time.Second

// sippLoad is one sipp registration load: register-load.xml offering rate calls per
// second for step, from port of 127.0.0.1 (0: any), answering the registrar's queries
// with oocsf when set, run under taskset cpus when set.
type sippLoad struct {
	bin, scenario, oocsf, csv, dir, server string
	rate                                   int
	step                                   time.Duration
	// calls overrides rate times step (a storm registers each device once).
	calls int
	port  int
	cpus  string
}

// plan is how many calls the load offers (rate times step, unless calls says) and how
// long its generator may run: the time to offer them and sippDrain for the last to end.
func (l sippLoad) plan() (calls int, drain time.Duration) {
	calls = int(float64(l.rate) * l.step.Seconds())
	if l.calls > 0 {
		calls = l.calls
	}
	return calls, time.Duration(float64(time.Second)*float64(calls)/float64(l.rate)) + sippDrain
}

// runSippStep offers rate calls per second for step to server and reads back sipp's
// counts.
func runSippStep(ctx context.Context, l sippLoad) (compareStep, error) {
	calls, drain := l.plan()
	res := compareStep{Rate: l.rate, Calls: calls}
	dir := l.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	port := l.port
	if port == 0 {
		var err error
		if port, err = freeUDPPort(); err != nil {
			return res, err
		}
	}
	// sipp stops itself after drain; an overloaded sipp may take a while.
	ctx, cancel := context.WithTimeout(ctx, drain+30*time.Second)
	defer cancel()
	args := []string{l.server,
		"-sf", l.scenario, "-inf", l.csv, "-m", strconv.Itoa(calls),
		"-r", strconv.Itoa(l.rate), "-rp", "1000", "-l", strconv.Itoa(2 * l.rate),
		"-t", "u1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-buff_size", strconv.Itoa(4 << 20),
		"-nostdin", "-timeout", strconv.Itoa(int(drain.Seconds())) + "s",
		"-trace_err",
		// No default behaviours: a call aborted on an unexpected answer ends there,
		// without the BYE sipp would send, which a registrar answers 405.
		"-nd"}
	if l.oocsf != "" {
		args = append(args, "-oocsf", l.oocsf)
	}
	cmd := sippCommand(ctx, l.bin, l.cpus, args)
	cmd.Dir = dir
	mark, markErr := markUDPDrops(l.server)
	out, runErr := cmd.CombinedOutput()
	if markErr == nil {
		if d, err := mark.since(); err == nil {
			res.Drops = &d
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "sipp.out"), out, 0o644)
	screen := string(out)
	if !strings.Contains(screen, "Successful call") {
		return res, fmt.Errorf("sipp printed no statistics: %v (see %s)", runErr, filepath.Join(dir, "sipp.out"))
	}
	res.Counts = parseSippScreen(screen)
	res.AchievedRate = lastRate(screen)
	logs, _ := filepath.Glob(filepath.Join(dir, "*_errors.log"))
	for _, errLog := range logs {
		f, err := os.Open(errLog)
		if err != nil {
			return res, err
		}
		err = addUnexpectedAnswers(&res.Counts, f)
		f.Close()
		if err != nil {
			return res, err
		}
		_ = os.Remove(errLog) // large when a step fails; the counts are what matter
	}
	return res, nil
}

// sippCommand is sipp with args, under taskset when cpus is set.
func sippCommand(ctx context.Context, bin, cpus string, args []string) *exec.Cmd {
	if cpus == "" {
		return exec.CommandContext(ctx, bin, args...)
	}
	return exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, bin}, args...)...)
}
