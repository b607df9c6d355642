package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// print writes the comparison as a table of steps, the storm, the verdict per topology
// and the overload step.
func (r compareResult) print(w io.Writer) {
	fmt.Fprintf(w, "\nside by side: sipp digest REGISTER (register-load.xml, queries answered by answer-queries.xml), and the same calls from the lean client (production-like), %d devices with a password each, steps of %s, UDP on 127.0.0.1; kamailio with %d children; load average %.1f → %.1f\n",
		r.Devices, r.Step, r.KamailioChildren, r.LoadAverage[0], r.LoadAverage[1])
	fmt.Fprintf(w, "topologies: %q, every process on every core; %q, the operator (or kamailio) alone on core %d, kube-apiserver, etcd and sipp on core %d\n",
		topologyDev.Name, topologyProduction.Name, registrarCPU, peerCPU)
	if r.Pinning != "" {
		fmt.Fprintf(w, "NOTE: %s\n", r.Pinning)
	}
	if s := r.Storm; s != nil {
		fmt.Fprintf(w, "\nregistration storm (%s): %d devices registering for the first time at %d/s: %d registered, %d failed, %d retransmissions, %d × 503; API showed all Registered %.1f s after the last 200; %.0f status writes, %.2f per registration; %d Cameras show the DeviceInfo their device answered (DeviceInfo queries: %s); status writes paced for %.1f s (slowest %.0f/s)\n",
			s.Topology, s.Step.Calls, s.Step.Rate, s.Step.Counts.Successful, s.Step.Counts.Failed, s.Step.Counts.Retransmissions, s.Step.Counts.Answers[503],
			s.DrainSeconds, s.StatusWrites, s.StatusWritesPerRegistration, s.Answered, countsByResult(s.DeviceInfoQueries), s.PacedSeconds, s.SlowestPace)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\ttopology\tgenerator\toffered/s\tcalls made/s\tsuccessful\tfailed\tretrans\t200\t401\t503\tother\twrites/reg\tdropped (target/elsewhere)\tclean\t")
	for _, t := range r.Targets {
		if t.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Name, t.Topology, t.Generator, t.Skipped)
			continue
		}
		for _, s := range t.Steps {
			printStep(tw, t.Name, t.Topology, t.Generator, s)
		}
	}
	for _, o := range r.overloads() {
		printStep(tw, operatorTarget+" ×2", o.Topology, o.Generator, o.Step)
		if o.Kamailio != nil {
			printStep(tw, kamailioTarget+" (same load)", o.Topology, o.Generator, *o.Kamailio)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nhighest clean rate (every offered call made and registered, retransmissions < 1 % of requests):")
	for _, t := range r.Targets {
		if t.Skipped == "" {
			fmt.Fprintf(w, "  %-16s %-22s %-12s %6d/s\n", t.Name, t.Topology, t.Generator, t.HighestClean)
		}
	}
	for _, x := range r.Ratios {
		fmt.Fprintf(w, "  operator / kamailio, %-22s %-12s %.2f  (%d/s over %d/s; load average %.1f → %.1f)\n", x.Topology, x.Generator, x.Ratio, x.Operator, x.Kamailio, r.LoadAverage[0], r.LoadAverage[1])
	}
	for _, o := range r.overloads() {
		o.print(w)
	}
}

// overloads are the overload steps measured, sipp's first.
func (r compareResult) overloads() []*compareOverload {
	var out []*compareOverload
	for _, o := range []*compareOverload{r.Overload, r.LeanOverload} {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// print writes the overload step's verdict.
func (o *compareOverload) print(w io.Writer) {
	if o.Step.Error != "" {
		fmt.Fprintf(w, "  operator at twice its clean rate (%s, %d/s offered by %s): %s\n", o.Topology, o.Step.Rate, o.Generator, o.Step.Error)
		return
	}
	fmt.Fprintf(w, "  operator at twice its clean rate (%s, %d/s offered by %s, which made %.0f calls/s): goodput %.0f/s, %.2f of the clean rate; %d × 503, %d retransmissions\n",
		o.Topology, o.Step.Rate, o.Generator, o.Step.AchievedRate, o.Goodput, o.GoodputShare, o.Step.Counts.Answers[503], o.Step.Counts.Retransmissions)
	fmt.Fprintf(w, "    as the operator saw it: %.0f registrations completed, %.0f/s, %.2f of the clean rate, whether or not %s read their 200%s\n",
		o.Completed, o.CompletedRate, o.CompletedShare, o.Generator, dropsNote(o.Step.Drops, o.Generator))
	if k := o.Kamailio; k != nil {
		fmt.Fprintf(w, "  kamailio offered the same %d/s by %s: goodput %.0f/s (%s made %.0f calls/s), %d retransmissions; operator / kamailio goodput %.2f\n",
			k.Rate, o.Generator, o.KamailioGoodput, o.Generator, k.AchievedRate, k.Counts.Retransmissions, o.GoodputOverKamailio)
	}
}

// printStep writes one step's row.
func printStep(tw io.Writer, name, topology, generator string, s compareStep) {
	if s.Error != "" {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t\n", name, topology, generator, s.Rate, s.Error)
		return
	}
	c := s.Counts
	other := int64(0)
	for code, n := range c.Answers {
		if code != 200 && code != 401 && code != 503 {
			other += n
		}
	}
	writes := "-"
	if s.StatusWritesPerRegistration != nil {
		writes = fmt.Sprintf("%.3f", *s.StatusWritesPerRegistration)
	}
	drops := "-"
	if d := s.Drops; d != nil {
		drops = fmt.Sprintf("%d/%d", d.Target, d.Elsewhere)
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%v\t\n", name, topology, generator, s.Rate, s.AchievedRate,
		c.Successful, c.Failed, c.Retransmissions, c.Answers[200], c.Answers[401], c.Answers[503], other, writes, drops, s.clean())
}

// countsByResult prints counts by result, largest first: "4999 answered, 1 no_answer".
func countsByResult(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range mostFirst(m) {
		parts = append(parts, fmt.Sprintf("%.0f %s", m[r], r))
	}
	return strings.Join(parts, ", ")
}

// dropsNote says, after a figure, where the kernel dropped datagrams during its step.
func dropsNote(d *udpDrops, generator string) string {
	if d == nil {
		return ""
	}
	return fmt.Sprintf(" (the kernel dropped %d datagrams at the operator's socket, %d elsewhere: %s's)", d.Target, d.Elsewhere, generator)
}
