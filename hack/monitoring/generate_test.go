package monitoring

import (
	"os"
	"path/filepath"
	"testing"
)

// root is the repository root, from this package's directory.
const root = "../.."

// TestGeneratedFilesUpToDate: the dashboard JSON and the list of queried metrics in
// the repository are what the code generates (run `make monitoring` after a change).
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatalf("%s: %v (run make monitoring)", rel, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from what hack/monitoring generates: run make monitoring", rel)
		}
	}
}
