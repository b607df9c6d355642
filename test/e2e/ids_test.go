package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// deviceIDLiteral is a GB ID written in a scenario: twenty digits in quotes.
var deviceIDLiteral = regexp.MustCompile(`"(\d{20})"`)

// TestScenariosUseTheirOwnDeviceIDs: the scenarios share one operator, and two Cameras
// with one device ID in two namespaces are a Conflict, so a scenario that borrows
// another's ID fails or passes depending on which ran first.
func TestScenariosUseTheirOwnDeviceIDs(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range deviceIDLiteral.FindAllStringSubmatch(string(src), -1) {
			id := m[1]
			if first, ok := owner[id]; ok && first != f {
				t.Errorf("device ID %s is used by %s and %s", id, first, f)
				continue
			}
			owner[id] = f
		}
	}
	if len(owner) == 0 {
		t.Fatal("no device IDs found in the scenarios: the pattern no longer matches how they are written")
	}
}
