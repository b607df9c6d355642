package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/controllers/alarms"
	"github.com/gb28181/camera-operator/controllers/camera"
	"github.com/gb28181/camera-operator/controllers/command"
	"github.com/gb28181/camera-operator/controllers/endpoints"
	"github.com/gb28181/camera-operator/controllers/recording"
	"github.com/gb28181/camera-operator/controllers/stream"
	"github.com/gb28181/camera-operator/sipd"
)

// The defaults of every flag and of every field of the settings the flags fill,
// rendered to testdata/defaults.json, as cert-manager's defaults_test.go does: a changed
// default is a reviewed diff of that file, never an accident. Rewrite it with
//
//	go test . -run TestDefaults -update
//
// The chart's values.yaml (hack/chart) and the README's flag table (below) are checked
// against it.

var update = flag.Bool("update", false, "rewrite testdata/defaults.json")

const defaultsFile = "testdata/defaults.json"

// defaults are the rendered defaults: flag name to default, and per settings type its
// fields' defaults.
type defaults struct {
	Flags    map[string]string            `json:"flags"`
	Settings map[string]map[string]string `json:"settings"`
}

// renderDefaults renders the defaults as the operator has them, independently of the
// machine: the UDP workers, GOMAXPROCS by default, are rendered for 2 cores, and the
// pod's flags without the downward API's environment.
func renderDefaults(t *testing.T) defaults {
	t.Helper()
	for _, k := range []string{"POD_NAME", "POD_NAMESPACE", "POD_IP"} {
		t.Setenv(k, "")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	d := defaults{Flags: map[string]string{}, Settings: map[string]map[string]string{}}
	var o options
	newFlagSet(&o).VisitAll(func(f *flag.Flag) { d.Flags[f.Name] = f.DefValue })
	sip, err := sipd.Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d.Settings["sipd.Config"] = fields(sip)
	d.Settings["camera.Options"] = fields(camera.Options{}.WithDefaults())
	d.Settings["stream.Options"] = fields(stream.Options{}.WithDefaults())
	d.Settings["command.Options"] = fields(command.Options{}.WithDefaults())
	d.Settings["recording.Options"] = fields(recording.Options{Location: sip.Location}.WithDefaults())
	d.Settings["endpoints.Config"] = fields(endpoints.Config{}.WithDefaults())
	d.Settings["camera.DeviceEventOptions"] = fields(camera.Options{}.WithDefaults().DeviceEvents)
	d.Settings["camera.PacingOptions"] = fields(camera.Options{}.WithDefaults().Pacing)
	sink, err := alarms.Config{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d.Settings["alarms.Config"] = fields(sink)
	return d
}

// fields renders the exported fields of a settings struct that hold a value: numbers,
// strings, booleans, durations and zones. Functions, interfaces, channels and keys
// (random by default) are not defaults one reviews.
func fields(v any) map[string]string {
	out := map[string]string{}
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		f, fv := rv.Type().Field(i), rv.Field(i)
		if !f.IsExported() {
			continue
		}
		switch x := fv.Interface().(type) {
		case time.Duration:
			out[f.Name] = x.String()
		case *time.Location:
			if x != nil {
				out[f.Name] = x.String()
			}
		case string, bool, int, int32, int64, float64:
			out[f.Name] = fmt.Sprint(x)
		}
	}
	return out
}

// TestDefaults compares the defaults with testdata/defaults.json.
func TestDefaults(t *testing.T) {
	got, err := json.MarshalIndent(renderDefaults(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(defaultsFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(defaultsFile)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the defaults changed; review the difference and rewrite %s with -update:\n%s", defaultsFile, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(got, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(want, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		switch {
		case n > 0:
			out = append(out, "+ "+l)
		case n < 0:
			out = append(out, "- "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestREADMEFlagTable: the README's table of flags names every flag, and each default
// it gives is the flag's (a duration, number or word as written; a description, such as
// "none" or "$POD_NAME", for a flag whose default is empty).
func TestREADMEFlagTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Operator flags")
	if start < 0 {
		t.Fatal("README.md has no Operator flags section")
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	flags := renderDefaults(t).Flags
	inREADME := map[string]bool{}
	row := regexp.MustCompile("^\\| (`--[^|]+) \\| ([^|]+) \\|")
	for _, line := range strings.Split(section, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		names := strings.Split(m[1], " / ")
		values := strings.Split(strings.TrimSpace(m[2]), " / ")
		if len(values) != len(names) {
			values = nil // one description for the row
		}
		for i, n := range names {
			name := strings.Trim(strings.TrimSpace(n), "`-")
			inREADME[name] = true
			def, ok := flags[name]
			if !ok {
				t.Errorf("README.md documents --%s, which the operator does not have", name)
				continue
			}
			shown := strings.TrimSpace(m[2])
			if values != nil {
				shown = strings.TrimSpace(values[i])
			}
			if !sameDefault(def, shown) {
				t.Errorf("README.md gives --%s the default %s; it is %q", name, shown, def)
			}
		}
	}
	for name := range flags {
		if !inREADME[name] {
			t.Errorf("README.md's flag table does not document --%s", name)
		}
	}
}

// sameDefault reports whether the README's text shown describes a flag default def.
func sameDefault(def, shown string) bool {
	if !strings.HasPrefix(shown, "`") {
		return def == "" // a description of an empty default: none, all, $POD_NAME...
	}
	value, _, _ := strings.Cut(strings.TrimPrefix(shown, "`"), "`")
	if strings.HasPrefix(value, "$") {
		return def == "" // from the environment, unset here
	}
	if value == def {
		return true
	}
	if a, err := time.ParseDuration(value); err == nil {
		b, err := time.ParseDuration(def)
		return err == nil && a == b
	}
	if a, err := strconv.ParseFloat(value, 64); err == nil {
		b, err := strconv.ParseFloat(def, 64)
		return err == nil && a == b
	}
	return false
}
