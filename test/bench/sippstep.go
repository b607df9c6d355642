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

// runSippStep offers rate calls per second for step to server and reads back sipp's
// counts.
func runSippStep(ctx context.Context, sippBin, scenario, csv, dir, server string, rate int, step time.Duration) (compareStep, error) {
	calls := int(float64(rate) * step.Seconds())
	res := compareStep{Rate: rate, Calls: calls}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	port, err := freeUDPPort()
	if err != nil {
		return res, err
	}
	// sipp stops itself after step+sippDrain; an overloaded sipp may take a while.
	ctx, cancel := context.WithTimeout(ctx, step+sippDrain+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sippBin, server,
		"-sf", scenario, "-inf", csv, "-m", strconv.Itoa(calls),
		"-r", strconv.Itoa(rate), "-rp", "1000", "-l", strconv.Itoa(2*rate),
		"-t", "u1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-buff_size", strconv.Itoa(4<<20),
		"-nostdin", "-timeout", strconv.Itoa(int((step+sippDrain).Seconds()))+"s",
		"-trace_err",
		// No default behaviours: a call aborted on an unexpected answer ends there,
		// without the BYE sipp would send, which a registrar answers 405.
		"-nd")
	cmd.Dir = dir
	out, runErr := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(dir, "sipp.out"), out, 0o644)
	screen := string(out)
	if !strings.Contains(screen, "Successful call") {
		return res, fmt.Errorf("sipp printed no statistics: %v (see %s)", runErr, filepath.Join(dir, "sipp.out"))
	}
	res.Counts = parseSippScreen(screen)
	res.AchievedRate = lastRate(screen)
	logs, _ := filepath.Glob(filepath.Join(dir, "*_errors.log"))
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			return res, err
		}
		err = addUnexpectedAnswers(&res.Counts, f)
		f.Close()
		if err != nil {
			return res, err
		}
		_ = os.Remove(l) // large when a step fails; the counts are what matter
	}
	return res, nil
}
