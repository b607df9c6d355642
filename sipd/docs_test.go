package sipd_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gb28181/camera-operator/sipd"
)

// TestSecurityDocListsConfig: docs/security.md's tables of bounds and settings name
// every field of sipd.Config, and no field sipd.Config lacks, so the page says what the code does.
func TestSecurityDocListsConfig(t *testing.T) {
	doc, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	start := strings.Index(section, "\n## Bounds")
	if start < 0 {
		t.Fatal("docs/security.md has no Bounds section")
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	field := regexp.MustCompile("`([A-Z][A-Za-z0-9]*)`")
	documented := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[2]), "---") {
			continue
		}
		for _, m := range field.FindAllStringSubmatch(cells[2], -1) {
			documented[m[1]] = true
		}
	}
	var fields []string
	for f := range reflect.TypeFor[sipd.Config]().Fields() {
		fields = append(fields, f.Name)
		if !documented[f.Name] {
			t.Errorf("Config.%s is not in docs/security.md's tables", f.Name)
		}
	}
	for name := range documented {
		if !slices.Contains(fields, name) {
			t.Errorf("docs/security.md names Config.%s, which does not exist", name)
		}
	}
}
