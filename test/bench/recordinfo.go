package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/internal/kubetest"
)

// recordInfoResult is sipd's BenchmarkRecordInfoAssembly: a RecordInfo answer of 10,000
// items in 200 MESSAGEs assembled by the registrar alone over loopback UDP.
type recordInfoResult struct {
	Command string `json:"command"`
	Items   int    `json:"items"`
	// Milliseconds is one whole answer, from the query to its last part's 200.
	Milliseconds float64 `json:"milliseconds"`
	// PeakHeapMiB is the highest heap in use while the parts arrived, above the heap
	// before the query (garbage included); AnswerHeapMiB what the assembled answer
	// holds; TextBoundMiB the bound MaxRecordItems puts on its part identifiers and text.
	PeakHeapMiB   float64 `json:"peak_heap_mib"`
	AnswerHeapMiB float64 `json:"answer_heap_mib"`
	TextBoundMiB  float64 `json:"text_bound_mib"`
	Output        string  `json:"output"`
}

// benchFigure reads "<value> <unit>" pairs of a go test -bench line.
var benchFigure = regexp.MustCompile(`([0-9.]+) ([a-zA-Z/-]+)`)

// runRecordInfoBench runs sipd's BenchmarkRecordInfoAssembly.
func runRecordInfoBench(ctx context.Context) (recordInfoResult, error) {
	args := []string{"test", "./sipd", "-run", "^$", "-bench", "^BenchmarkRecordInfoAssembly$", "-benchtime", "10x", "-count", "1"}
	res := recordInfoResult{Command: "go " + strings.Join(args, " ")}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = kubetest.RepoRoot()
	out, err := cmd.CombinedOutput()
	res.Output = strings.TrimSpace(string(out))
	if err != nil {
		return res, fmt.Errorf("%s: %v\n%s", res.Command, err, out)
	}
	figures, err := parseRecordInfoBench(string(out))
	figures.Command = res.Command
	return figures, err
}

// parseRecordInfoBench reads the figures of BenchmarkRecordInfoAssembly's line.
func parseRecordInfoBench(out string) (recordInfoResult, error) {
	res := recordInfoResult{Output: strings.TrimSpace(out)}
	for _, line := range strings.Split(res.Output, "\n") {
		if !strings.HasPrefix(line, "BenchmarkRecordInfoAssembly") {
			continue
		}
		for _, m := range benchFigure.FindAllStringSubmatch(line, -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			switch m[2] {
			case "ns/op":
				res.Milliseconds = v / 1e6
			case "items":
				res.Items = int(v)
			case "peak-heap-MiB":
				res.PeakHeapMiB = v
			case "answer-heap-MiB":
				res.AnswerHeapMiB = v
			case "text-bound-MiB":
				res.TextBoundMiB = v
			}
		}
	}
	if res.Items == 0 {
		return res, fmt.Errorf("no BenchmarkRecordInfoAssembly figures in %q", res.Output)
	}
	return res, nil
}

func (x *recordInfoResult) print(w io.Writer) {
	fmt.Fprintf(w, "RecordInfo assembly (registrar alone): %d items in 200 parts in %.0f ms; heap peak +%.1f MiB, the answer holds %.1f MiB (text bound %.1f MiB)\n",
		x.Items, x.Milliseconds, x.PeakHeapMiB, x.AnswerHeapMiB, x.TextBoundMiB)
}
