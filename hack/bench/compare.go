package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printComparison writes, for each mode in both reports, how its main
// figures moved from base to r, so an optimisation's effect reads off one
// table. Modes in only one report are skipped.
func printComparison(w io.Writer, base, r *Report) error {
	old := map[string]Result{}
	for _, res := range base.Results {
		old[res.Mode] = res
	}
	fmt.Fprintf(w, "\nchange from the baseline of %s (%s per mode):\n\n", base.Started, base.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\trecords/s\tp99 ms\tpeak RSS MiB\tCPU µs/rec\t")
	for _, res := range r.Results {
		was, ok := old[res.Mode]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", res.Mode,
			change(was.RecordsPerSec, res.RecordsPerSec), change(was.P99Ms, res.P99Ms),
			change(was.PeakRSSMiB, res.PeakRSSMiB), change(was.CPUMicrosPerRecord, res.CPUMicrosPerRecord))
	}
	return tw.Flush()
}

// change is the relative change from was to now, "-" when either is not
// measured.
func change(was, now float64) string {
	if was == 0 || now == 0 {
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", (now-was)/was*100)
}
