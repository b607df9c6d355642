package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// print writes the comparison as a table per target and the verdict.
func (r compareResult) print(w io.Writer) {
	fmt.Fprintf(w, "\nside by side: sipp digest REGISTER (register-load.xml), %d devices with a password each, steps of %s, UDP on 127.0.0.1; kamailio with %d children; load average %.1f → %.1f\n",
		r.Devices, r.Step, r.KamailioChildren, r.LoadAverage[0], r.LoadAverage[1])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\toffered/s\tsipp rate/s\tsuccessful\tfailed\tretrans\t200\t401\t503\tother\tclean\t")
	for _, t := range r.Targets {
		if t.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t\n", t.Name, t.Skipped)
			continue
		}
		for _, s := range t.Steps {
			if s.Error != "" {
				fmt.Fprintf(tw, "%s\t%d\t%s\t\n", t.Name, s.Rate, s.Error)
				continue
			}
			c := s.Counts
			other := int64(0)
			for code, n := range c.Answers {
				if code != 200 && code != 401 && code != 503 {
					other += n
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%v\t\n", t.Name, s.Rate, s.AchievedRate,
				c.Successful, c.Failed, c.Retransmissions, c.Answers[200], c.Answers[401], c.Answers[503], other, s.clean())
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nhighest clean rate (every offered call made and registered, retransmissions < 1 % of requests):")
	for _, t := range r.Targets {
		if t.Skipped == "" {
			fmt.Fprintf(w, "  %-20s %d/s\n", t.Name, t.HighestClean)
		}
	}
	if r.Ratio > 0 {
		fmt.Fprintf(w, "  operator / kamailio  %.2f\n", r.Ratio)
	}
}
