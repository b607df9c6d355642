package chart

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// operatorFlag is one flag of the manager binary, read from its -h output.
type operatorFlag struct {
	name, typ, def string
}

// operatorFlags builds the manager and parses the usage Go's flag package prints.
func operatorFlags(t *testing.T) []operatorFlag {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	// -h prints the usage and exits without touching a cluster.
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	flagLine := regexp.MustCompile(`^  -([a-z0-9-]+)(?: (\S+))?$`)
	defaultRe := regexp.MustCompile(`\(default (.*)\)$`)
	var flags []operatorFlag
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			typ := m[2]
			if typ == "" {
				typ = "bool"
			}
			flags = append(flags, operatorFlag{name: m[1], typ: typ})
			continue
		}
		if len(flags) > 0 && strings.HasPrefix(line, "    \t") {
			if m := defaultRe.FindStringSubmatch(line); m != nil {
				def := m[1]
				if s, err := strconv.Unquote(def); err == nil {
					def = s
				}
				flags[len(flags)-1].def = def
			}
		}
	}
	if len(flags) < 10 {
		t.Fatalf("found only %d flags in the manager's usage:\n%s", len(flags), out)
	}
	return flags
}

// TestChartPassesEveryOperatorFlag keeps values.yaml complete: every flag of the manager
// is set by the chart, and the chart's defaults are the binary's, except where the
// chart deliberately differs (it elects a leader and names its own namespace).
func TestChartPassesEveryOperatorFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the operator")
	}
	chartDiffers := map[string]bool{"leader-elect": true, "leader-election-namespace": true, "sip-realm": true,
		"sip-service": true, "pod-name": true, "pod-namespace": true, "pod-ip": true}
	args := flagValues(t, manager(t, deployment(t, render(t))).Args)
	flags := operatorFlags(t)
	known := map[string]bool{}
	for _, f := range flags {
		known[f.name] = true
		got, ok := args[f.name]
		if !ok {
			t.Errorf("the chart does not pass --%s: expose it in values.yaml", f.name)
			continue
		}
		if chartDiffers[f.name] {
			continue
		}
		if !sameValue(f.typ, got, f.def) {
			t.Errorf("--%s: chart default %q, binary default %q", f.name, got, f.def)
		}
	}
	for name := range args {
		if !known[name] {
			t.Errorf("the chart passes --%s, which the manager does not have", name)
		}
	}
	// The realm the chart computes is the one the binary would.
	if sipID := args["sip-id"]; args["sip-realm"] != sipID[:10] {
		t.Errorf("--sip-realm=%s, want the first 10 digits of %s", args["sip-realm"], sipID)
	}
}

func sameValue(typ, a, b string) bool {
	if typ == "duration" {
		da, errA := time.ParseDuration(a)
		db, errB := time.ParseDuration(b)
		return errA == nil && errB == nil && da == db
	}
	if typ == "bool" && b == "" {
		b = "false"
	}
	return a == b
}
