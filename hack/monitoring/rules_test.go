package monitoring

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// promtool returns the path of promtool, built into the repository's bin/ at the
// version this module pins (build-promtool.sh; make test builds it first).
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	out, err := exec.Command("./build-promtool.sh", filepath.Join(root, "bin")).Output()
	if err != nil {
		t.Fatalf("building promtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestAlertRules: promtool accepts the rule file and passes its unit tests
// (testdata/alerts_test.yaml), which write the series each alert is for.
func TestAlertRules(t *testing.T) {
	if testing.Short() && os.Getenv("PROMTOOL") == "" {
		t.Skip("-short: building promtool takes minutes; make test builds it and runs this")
	}
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(root, RulesFile)},
		{"test", "rules", filepath.Join("testdata", "alerts_test.yaml")},
	} {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

// ruleFile is the part of a rule file these checks read.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert       string            `json:"alert"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleTests is the part of a promtool test file these checks read.
type ruleTests struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `json:"alertname"`
			ExpAlerts []any  `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// TestEveryAlertDocumentedAndTested: each alert has a severity, a summary, a
// description and a runbook in docs/alerts.md, and promtool tests in which it fires
// and in which it stays silent.
func TestEveryAlertDocumentedAndTested(t *testing.T) {
	var rules ruleFile
	readYAML(t, filepath.Join(root, RulesFile), &rules)
	var tests ruleTests
	readYAML(t, filepath.Join("testdata", "alerts_test.yaml"), &tests)
	runbooks, err := os.ReadFile(filepath.Join(root, "docs", "alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: no summary or description", r.Alert)
			}
			anchor := strings.ToLower(r.Alert)
			if !strings.HasSuffix(r.Annotations["runbook_url"], "docs/alerts.md#"+anchor) {
				t.Errorf("%s: runbook_url %q, want docs/alerts.md#%s", r.Alert, r.Annotations["runbook_url"], anchor)
			}
			if !regexp.MustCompile(`(?m)^## ` + regexp.QuoteMeta(r.Alert) + `$`).Match(runbooks) {
				t.Errorf("%s: no runbook section (## %s) in docs/alerts.md", r.Alert, r.Alert)
			}
			if !fires[r.Alert] || !silent[r.Alert] {
				t.Errorf("%s: promtool tests where it fires: %v, where it stays silent: %v", r.Alert, fires[r.Alert], silent[r.Alert])
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerts", alerts)
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
