// Command render draws the fleet dashboard's panels from a recording of an operator's
// metrics (the bench's --record-metrics) as a PNG, with Prometheus' engine and
// gonum/plot: the README's picture. make dashboard-picture runs the bench and this.
//
//	go run ./cmd/render -in ../../bin/bench/metrics.rec -out ../../docs/images/dashboard.png
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/gb28181/camera-operator/hack/monitoring"
)

func main() {
	in := flag.String("in", "", "the recording (test/bench --record-metrics)")
	out := flag.String("out", "dashboard.png", "the PNG to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		slog.Error("rendering the dashboard failed", "err", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "dashboard-tsdb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rec, err := monitoring.LoadRecording(f, dir)
	if err != nil {
		return err
	}
	defer rec.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := monitoring.Render(context.Background(), rec, w); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s to %s, a scrape every %s\n", out, rec.Start.Format("15:04:05"), rec.End.Format("15:04:05"), rec.Interval)
	return nil
}
