package chart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// operatorFlags are the manager's flags and their defaults, as testdata/defaults.json
// pins them (the manager's TestDefaults keeps that file true).
func operatorFlags(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "testdata", "defaults.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Flags map[string]string `json:"flags"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Flags) < 10 {
		t.Fatalf("found only %d flags in testdata/defaults.json", len(d.Flags))
	}
	return d.Flags
}

// TestChartPassesEveryOperatorFlag keeps values.yaml complete: every flag of the manager
// is set by the chart, and the chart's defaults are the binary's (testdata/defaults.json),
// except where the chart deliberately differs (it elects a leader and names its own
// namespace).
func TestChartPassesEveryOperatorFlag(t *testing.T) {
	chartDiffers := map[string]bool{"leader-elect": true, "leader-election-namespace": true, "sip-realm": true,
		"sip-service": true, "pod-name": true, "pod-namespace": true, "pod-ip": true}
	args := flagValues(t, manager(t, deployment(t, render(t))).Args)
	flags := operatorFlags(t)
	for name, def := range flags {
		got, ok := args[name]
		if !ok {
			t.Errorf("the chart does not pass --%s: expose it in values.yaml", name)
			continue
		}
		if chartDiffers[name] {
			continue
		}
		if !sameValue(got, def) {
			t.Errorf("--%s: chart default %q, binary default %q", name, got, def)
		}
	}
	for name := range args {
		if _, known := flags[name]; !known {
			t.Errorf("the chart passes --%s, which the manager does not have", name)
		}
	}
	// The realm the chart computes is the one the binary would.
	if sipID := args["sip-id"]; args["sip-realm"] != sipID[:10] {
		t.Errorf("--sip-realm=%s, want the first 10 digits of %s", args["sip-realm"], sipID)
	}
}

// sameValue compares a flag value with a default: as durations when both are.
func sameValue(a, b string) bool {
	da, errA := time.ParseDuration(a)
	db, errB := time.ParseDuration(b)
	if errA == nil && errB == nil {
		return da == db
	}
	return a == b
}
