package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Report is one run of the benchmark, as printed and as written with --out.
// Its JSON is what --from-json reads back, so the field names are a format:
// add fields, do not rename them.
type Report struct {
	Started     string   `json:"started"` // RFC 3339, UTC
	GoVersion   string   `json:"goVersion"`
	CPUs        int      `json:"cpus"`
	RecordBytes int      `json:"recordBytes"`
	Partitions  int      `json:"partitions"`
	Duration    string   `json:"durationPerMode"`
	Repeat      int      `json:"repeat,omitempty"` // runs per mode; each row is the median run
	Results     []Result `json:"results"`
}

// Result is one mode's row. Zero in a figure means "not measured in this
// mode" and prints as "-".
type Result struct {
	Mode    string `json:"mode"`
	Kind    string `json:"kind"`    // throughput, latency or memory
	Streams int    `json:"streams"` // concurrent streams or clients; 0 for direct
	Sent    int64  `json:"sent"`
	OK      int64  `json:"ok"`
	Failed  int64  `json:"failed"`
	// Stored is how far the broker's offsets advanced during the mode, as
	// read by a separate client; 0 when not counted.
	Stored  int64   `json:"stored,omitempty"`
	Seconds float64 `json:"seconds"`

	RecordsPerSec float64 `json:"recordsPerSec"`
	MBPerSec      float64 `json:"mbPerSec"` // records/s × record bytes, in 10^6 bytes
	RatioToDirect float64 `json:"ratioToDirect"`
	// RatioToFloor is the single mode's requests/s over the floor's: what
	// share of a bare HTTP server's rate the proxy keeps.
	RatioToFloor float64 `json:"ratioToFloor,omitempty"`

	OfferedPerSec float64 `json:"offeredPerSec,omitempty"`
	P50Ms         float64 `json:"p50Ms,omitempty"`
	P99Ms         float64 `json:"p99Ms,omitempty"`
	P999Ms        float64 `json:"p999Ms,omitempty"`

	// StartRSSMiB is the proxy's RSS when the mode started, after its
	// warm-up: the base that the mode's peak grew from.
	StartRSSMiB float64 `json:"startRssMiB,omitempty"`
	PeakRSSMiB  float64 `json:"peakRssMiB"`
	// PeakAnonMiB is the highest RssAnon sampled: the peak RSS less the
	// pages mapped from files, which are mostly the binary's own code.
	PeakAnonMiB        float64 `json:"peakAnonMiB,omitempty"`
	CPUMicrosPerRecord float64 `json:"cpuMicrosPerRecord"`
	ProxyCPUSeconds    float64 `json:"proxyCpuSeconds"`
	// BrokerCPUSeconds: kfake serves every request on one goroutine, so a
	// figure near Seconds means the broker was the limit of the mode.
	BrokerCPUSeconds float64 `json:"brokerCpuSeconds"`
	// LoadCPUSeconds is the benchmark process's own CPU time in the mode:
	// the load generator (and, in the stalled mode, its broker and relay),
	// which the proxy shares the machine with.
	LoadCPUSeconds float64 `json:"loadCpuSeconds"`
	FirstFailure   string  `json:"firstFailure,omitempty"`
	Note           string  `json:"note,omitempty"`
}

func (r *Report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func readReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(r.Results) == 0 {
		return nil, fmt.Errorf("%s: no results", path)
	}
	return &r, nil
}

// setRatios fills RatioToDirect of the throughput rows from the direct
// row, and RatioToFloor of the single row from the floor row.
func (r *Report) setRatios() {
	var direct, floor float64
	for _, res := range r.Results {
		switch {
		case res.Mode == "direct":
			direct = res.RecordsPerSec
		case res.Kind == "floor":
			floor = res.RecordsPerSec
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Kind == "throughput" && direct > 0 {
			res.RatioToDirect = res.RecordsPerSec / direct
		}
		if strings.HasPrefix(res.Mode, "single-") && floor > 0 {
			res.RatioToFloor = res.RecordsPerSec / floor
		}
	}
}

// printTable writes the report as an aligned text table followed by the
// notes and failures of its rows.
func (r *Report) printTable(w io.Writer) error {
	runs := ""
	if r.Repeat > 1 {
		runs = fmt.Sprintf(" (median of %d runs)", r.Repeat)
	}
	fmt.Fprintf(w, "restproxy benchmark: %d-byte records, acks=all, %d partitions, %s per mode%s, %d CPUs, %s, started %s\n\n",
		r.RecordBytes, r.Partitions, r.Duration, runs, r.CPUs, r.GoVersion, r.Started)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tstreams\trecords/s\tMB/s\tx direct\tx floor\tp50 ms\tp99 ms\tp99.9 ms\tpeak RSS MiB\tanon MiB\tCPU µs/rec\tfailed\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n",
			res.Mode, orDash(float64(res.Streams), "%.0f"),
			orDash(res.RecordsPerSec, "%.0f"), orDash(res.MBPerSec, "%.1f"), orDash(res.RatioToDirect, "%.2f"), orDash(res.RatioToFloor, "%.2f"),
			orDash(res.P50Ms, "%.2f"), orDash(res.P99Ms, "%.2f"), orDash(res.P999Ms, "%.2f"),
			orDash(res.PeakRSSMiB, "%.1f"), orDash(res.PeakAnonMiB, "%.1f"), orDash(res.CPUMicrosPerRecord, "%.2f"), res.Failed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, res := range r.Results {
		if res.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", res.Mode, res.Note))
		}
		if res.FirstFailure != "" {
			notes = append(notes, fmt.Sprintf("  %s: FIRST FAILURE: %s", res.Mode, res.FirstFailure))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}

func orDash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}
