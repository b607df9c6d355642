// Command gen writes the Helm chart's generated files (CRD templates, RBAC rules, Argo CD
// files) and the generated examples of docs/gitops.md from their sources. Run it from the
// repository root: go run ./hack/chart/gen
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gb28181/camera-operator/hack/chart"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		slog.Error("chart generation failed", "err", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := chart.Generate(root)
	if err != nil {
		return err
	}
	// The CRD directory holds only generated templates: drop those whose source is gone.
	stale, err := filepath.Glob(filepath.Join(root, chart.CRDChartDir, "*"))
	if err != nil {
		return err
	}
	for _, path := range stale {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			if err := os.Remove(path); err != nil {
				return err
			}
			fmt.Println("removed", rel)
		}
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
