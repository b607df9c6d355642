package main

import "testing"

// TestParseRecordInfoBench reads the figures of a real BenchmarkRecordInfoAssembly line.
func TestParseRecordInfoBench(t *testing.T) {
	out := "goos: linux\nBenchmarkRecordInfoAssembly-2   	       5	 197070553 ns/op	         2.325 answer-heap-MiB	     10000 items	         9.959 peak-heap-MiB	         2.518 text-bound-MiB	         2.669 wire-MiB	61775657 B/op	  799702 allocs/op\nPASS\n"
	got, err := parseRecordInfoBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Items != 10000 || got.Milliseconds < 197.07 || got.Milliseconds > 197.08 || got.PeakHeapMiB != 9.959 || got.AnswerHeapMiB != 2.325 || got.TextBoundMiB != 2.518 {
		t.Errorf("figures %+v", got)
	}
	if _, err := parseRecordInfoBench("PASS\n"); err == nil {
		t.Error("output without the benchmark's line accepted")
	}
}
