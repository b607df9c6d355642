// Command gen writes the fleet dashboard's JSON into the chart and the list of the
// metrics the dashboard and the alert rules query. Run it from this module:
// go run ./cmd/gen -root ../..
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gb28181/camera-operator/hack/monitoring"
)

func main() {
	root := flag.String("root", "../..", "repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		slog.Error("generating the monitoring files failed", "err", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := monitoring.Generate(root)
	if err != nil {
		return err
	}
	for rel, data := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", rel)
	}
	return nil
}
