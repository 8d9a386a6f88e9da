package main

import (
	"fmt"
	"sort"
	"strings"
)

// repeat runs a mode --repeat times and adds the median run's row, by the
// figure its kind is about, noting the range of that figure over the runs.
func (b *bench) repeat(run func() (Result, error)) error {
	var runs []Result
	for i := range b.o.repeat {
		b.run = i + 1
		res, err := run()
		if err != nil {
			return err
		}
		runs = append(runs, res)
	}
	b.report.Results = append(b.report.Results, median(runs))
	return nil
}

// median returns the run with the median key figure: records/s for
// throughput, p99 for latency, peak RSS for memory. With more than one run
// its note gives the figure's range.
func median(runs []Result) Result {
	key := func(r Result) float64 {
		switch r.Kind {
		case "latency":
			return r.P99Ms
		case "memory":
			return r.PeakRSSMiB
		}
		return r.RecordsPerSec
	}
	sort.SliceStable(runs, func(i, j int) bool { return key(runs[i]) < key(runs[j]) })
	m := runs[len(runs)/2]
	if len(runs) > 1 {
		what, format := "records/s", formatCount
		switch m.Kind {
		case "latency":
			what, format = "p99 ms", func(v float64) string { return fmt.Sprintf("%.2f", v) }
		case "memory":
			what, format = "peak RSS MiB", func(v float64) string { return fmt.Sprintf("%.1f", v) }
		}
		rng := fmt.Sprintf("median of %d runs by %s, range %s to %s", len(runs), what, format(key(runs[0])), format(key(runs[len(runs)-1])))
		m.Note = strings.TrimPrefix(m.Note+"; "+rng, "; ")
	}
	for _, r := range runs { // a failure in any run shows
		if m.FirstFailure == "" && r.FirstFailure != "" {
			m.FirstFailure = r.FirstFailure
		}
		m.Failed = max(m.Failed, r.Failed)
	}
	return m
}
