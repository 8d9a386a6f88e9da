package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// These are plain tests of the program's pure parts (records, /proc
// parsing, the table, JSON and plot). The measuring itself needs the real
// binary and minutes of CPU, so it runs only as make bench.

func TestNewRecordSet_ExactSizeAndDecodableRecords(t *testing.T) {
	for _, size := range []int{minRecordBytes, minRecordBytes + 1, minRecordBytes + 3, 200, 201, 1000} {
		rs, err := newRecordSet(10, size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		for i, raw := range rs.json {
			if len(raw) != size {
				t.Fatalf("size %d: record %d is %d bytes", size, i, len(raw))
			}
			var rec struct {
				Key   struct{ Type, Data string }
				Value struct{ Type, Data string }
			}
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatalf("size %d: record %d is not JSON: %v: %s", size, i, err, raw)
			}
			value, err := base64.StdEncoding.DecodeString(rec.Value.Data)
			if err != nil || !bytes.Equal(value, rs.value) {
				t.Fatalf("size %d: record %d value decodes to %d bytes (err %v), want the set's %d value bytes", size, i, len(value), err, len(rs.value))
			}
			if rec.Key.Type != "STRING" || rec.Key.Data != string(rs.keys[i]) || rec.Value.Type != "BINARY" {
				t.Fatalf("size %d: record %d key %+v, want STRING %q and a BINARY value", size, i, rec.Key, rs.keys[i])
			}
		}
		if want := 10 * (size + 1); len(rs.stream) != want {
			t.Fatalf("size %d: stream chunk is %d bytes, want %d", size, len(rs.stream), want)
		}
	}
	if _, err := newRecordSet(1, minRecordBytes-1); err == nil || !strings.Contains(err.Error(), "--record-bytes") {
		t.Fatalf("too small a record: err = %v, want one naming --record-bytes", err)
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 1000; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds, 0.5, 0.99, 0.999, 1)
	want := []time.Duration{500 * time.Millisecond, 990 * time.Millisecond, 999 * time.Millisecond, 1000 * time.Millisecond}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("percentiles = %v, want %v", got, want)
	}
	if got := percentiles(nil, 0.5); got[0] != 0 {
		t.Fatalf("percentiles of nothing = %v, want 0", got)
	}
}

func sampleReport() *Report {
	r := &Report{Started: "2026-11-24T06:00:00Z", GoVersion: "go1.26.8", CPUs: 2, RecordBytes: 200, Partitions: 3, Duration: "5s",
		Results: []Result{
			{Mode: "direct", Kind: "throughput", RecordsPerSec: 1_000_000, MBPerSec: 200},
			{Mode: "stream-8", Kind: "throughput", Streams: 8, RecordsPerSec: 250_000, MBPerSec: 50, PeakRSSMiB: 80, PeakAnonMiB: 41.5, CPUMicrosPerRecord: 3.5},
			{Mode: "single-64", Kind: "throughput", Streams: 64, RecordsPerSec: 12_000, CPUMicrosPerRecord: 60, Failed: 2, FirstFailure: `{"error_code":50003}`},
			{Mode: "floor-64", Kind: "floor", Streams: 64, RecordsPerSec: 48_000, CPUMicrosPerRecord: 15},
			{Mode: "latency-20k", Kind: "latency", Streams: 8, RecordsPerSec: 19_990, OfferedPerSec: 20_000, P50Ms: 1.5, P99Ms: 8.25, P999Ms: 20},
			{Mode: "stalled", Kind: "memory", Streams: 128, PeakRSSMiB: 140, Note: "broker stalled"},
		}}
	r.setRatios()
	return r
}

func TestReport_TableShowsEveryRowRatiosAndNotes(t *testing.T) {
	var out bytes.Buffer
	if err := sampleReport().printTable(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	rows := map[string][]string{}
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) == 13 {
			rows[f[0]] = f[1:]
		}
	}
	// streams, records/s, MB/s, x direct, x floor, p50, p99, p99.9, RSS, anon, CPU, failed
	want := map[string][]string{
		"direct":      {"-", "1000000", "200.0", "1.00", "-", "-", "-", "-", "-", "-", "-", "0"},
		"stream-8":    {"8", "250000", "50.0", "0.25", "-", "-", "-", "-", "80.0", "41.5", "3.50", "0"},
		"single-64":   {"64", "12000", "-", "0.01", "0.25", "-", "-", "-", "-", "-", "60.00", "2"},
		"floor-64":    {"64", "48000", "-", "-", "-", "-", "-", "-", "-", "-", "15.00", "0"},
		"latency-20k": {"8", "19990", "-", "-", "-", "1.50", "8.25", "20.00", "-", "-", "-", "0"},
		"stalled":     {"128", "-", "-", "-", "-", "-", "-", "-", "140.0", "-", "-", "0"},
	}
	for mode, fields := range want {
		if !reflect.DeepEqual(rows[mode], fields) {
			t.Errorf("row %s = %q, want %q\n%s", mode, rows[mode], fields, text)
		}
	}
	for _, note := range []string{"200-byte records, acks=all, 3 partitions, 5s per mode", "stalled: broker stalled", `single-64: FIRST FAILURE: {"error_code":50003}`} {
		if !strings.Contains(text, note) {
			t.Errorf("table lacks %q:\n%s", note, text)
		}
	}
}

func TestReport_JSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.json")
	want := sampleReport()
	if err := want.writeJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := readReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v\nwrote %+v", got, want)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	os.WriteFile(empty, []byte(`{"results":[]}`), 0o644)
	if _, err := readReport(empty); err == nil || !strings.Contains(err.Error(), "no results") {
		t.Fatalf("a report without results: err = %v", err)
	}
}

func TestWritePlot_DrawsOneBarPerModeAndPercentile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.png")
	if err := writePlot(sampleReport(), path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != plotWidth || b.Dy() != plotHeight {
		t.Fatalf("plot is %v, want %dx%d", b, plotWidth, plotHeight)
	}
	// Count bar-coloured columns along a row just above the charts' base:
	// every bar reaches down to it.
	counts := map[[3]uint8]int{}
	for x := range plotWidth {
		r, g, b, _ := img.At(x, 458).RGBA()
		counts[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}]++
	}
	for name, c := range map[string]struct {
		col  [3]uint8
		bars int
	}{
		"direct": {[3]uint8{directCol.R, directCol.G, directCol.B}, 1},
		"stream": {[3]uint8{streamCol.R, streamCol.G, streamCol.B}, 1},
		"single": {[3]uint8{singleCol.R, singleCol.G, singleCol.B}, 1},
		"p99":    {[3]uint8{latCols[1].R, latCols[1].G, latCols[1].B}, 1},
	} {
		if counts[c.col] == 0 {
			t.Errorf("no %s bar at the charts' base", name)
		}
	}
}

func TestNiceStepAndFormatCount(t *testing.T) {
	for _, tt := range []struct {
		top  float64
		want float64
	}{{1_000_000, 200_000}, {1_120_000, 500_000}, {37, 10}, {8.25, 2}, {0, 1}} {
		if got := niceStep(tt.top, 5); got != tt.want {
			t.Errorf("niceStep(%g) = %g, want %g", tt.top, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    float64
		want string
	}{{1_234_567, "1.23M"}, {245_000, "245k"}, {12_500, "12.5k"}, {8.25, "8.25"}, {0, "0"}} {
		if got := formatCount(tt.v); got != tt.want {
			t.Errorf("formatCount(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestParseOptions_RefusesBadValuesByName(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--modes", "direct,warp"}, `--modes: unknown mode "warp"`},
		{[]string{"--streams", "1,x"}, `--streams: "x"`},
		{[]string{"--duration", "0s"}, "--duration 0s"},
		{[]string{"--latency-rate", "-1"}, "--latency-rate -1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--repeat", "0"}, "--repeat 0"},
		{[]string{"--proxy-env", "GOGC"}, `--proxy-env: "GOGC" is not KEY=VALUE`},
		{[]string{"--proxy-config", "/nonexistent.yaml"}, "--proxy-config: "},
	} {
		_, err := parseOptions(tt.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want one containing %q", tt.args, err, tt.want)
		}
	}
	o, err := parseOptions(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.modes) != len(allModes) || !reflect.DeepEqual(o.streams, []int{1, 8, 64}) || o.recordBytes != 200 {
		t.Fatalf("defaults: modes %v streams %v record bytes %d", o.modes, o.streams, o.recordBytes)
	}
}

func TestMedian_PicksTheMiddleRunByItsKindsFigure(t *testing.T) {
	runs := []Result{
		{Mode: "stream-8", Kind: "throughput", RecordsPerSec: 300_000, Seconds: 1},
		{Mode: "stream-8", Kind: "throughput", RecordsPerSec: 1_100_000, Seconds: 2},
		{Mode: "stream-8", Kind: "throughput", RecordsPerSec: 200_000, Seconds: 3},
	}
	runs[1].Failed, runs[1].FirstFailure = 4, "HTTP 503"
	m := median(runs)
	if m.Seconds != 1 || m.RecordsPerSec != 300_000 {
		t.Fatalf("median run %+v, want the 300k records/s one", m)
	}
	if m.Note != "median of 3 runs by records/s, range 200k to 1.1M" {
		t.Fatalf("note %q", m.Note)
	}
	if m.Failed != 4 || m.FirstFailure != "HTTP 503" {
		t.Fatalf("a failure in another run was lost: %+v", m)
	}
	lat := median([]Result{{Kind: "latency", P99Ms: 9, Note: "n"}, {Kind: "latency", P99Ms: 3}})
	if lat.P99Ms != 9 || lat.Note != "n; median of 2 runs by p99 ms, range 3.00 to 9.00" {
		t.Fatalf("latency median %+v", lat)
	}
	if one := median([]Result{{Kind: "memory", PeakRSSMiB: 5, Note: "x"}}); one.Note != "x" {
		t.Fatalf("one run got note %q", one.Note)
	}
}

// --from-json reprints and replots a saved run without measuring, and the
// exit status still says whether any record failed.
func TestRun_FromJSONPrintsPlotsAndReportsFailures(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "bench.json")
	if err := sampleReport().writeJSON(saved); err != nil {
		t.Fatal(err)
	}
	plot, out := filepath.Join(dir, "bench.png"), filepath.Join(dir, "again.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--from-json", saved, "--plot", plot, "--out", out}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "some records failed") {
		t.Fatalf("exit %d, stderr %q; want 1 for the sample's failed single-64 records", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "latency-20k") {
		t.Fatalf("no table printed:\n%s", stdout.String())
	}
	if _, err := os.Stat(plot); err != nil {
		t.Fatalf("plot not written: %v", err)
	}
	again, err := readReport(out)
	if err != nil || !reflect.DeepEqual(again, sampleReport()) {
		t.Fatalf("--out after --from-json wrote %+v, %v; want the saved report", again, err)
	}
	if code := run([]string{"--bogus"}, &stdout, &stderr); code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
}

func TestPrintComparison_ChangePerModeInBoth(t *testing.T) {
	base := sampleReport()
	now := sampleReport()
	now.Results[1].RecordsPerSec = 300_000 // stream-8: 250k -> 300k
	now.Results[1].PeakRSSMiB = 60         // 80 -> 60
	now.Results = append(now.Results, Result{Mode: "stream-64", Kind: "throughput", RecordsPerSec: 1})
	var out bytes.Buffer
	if err := printComparison(&out, base, now); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for line := range strings.Lines(out.String()) {
		if f := strings.Fields(line); len(f) == 5 {
			rows[f[0]] = f[1:]
		}
	}
	if want := []string{"+20.0%", "-", "-25.0%", "+0.0%"}; !reflect.DeepEqual(rows["stream-8"], want) {
		t.Errorf("stream-8 = %q, want %q\n%s", rows["stream-8"], want, out.String())
	}
	if want := []string{"+0.0%", "+0.0%", "-", "-"}; !reflect.DeepEqual(rows["latency-20k"], want) {
		t.Errorf("latency-20k = %q, want %q\n%s", rows["latency-20k"], want, out.String())
	}
	if _, ok := rows["stream-64"]; ok {
		t.Errorf("a mode missing from the baseline got a row:\n%s", out.String())
	}
}

// A batch mode's requests carry size entries of exactly the record size,
// with distinct ids, as one valid records:batch body each.
func TestBatchRequests_EntriesOfExactSize(t *testing.T) {
	for _, size := range []int{1, 10, 100} {
		reqs, err := batchRequests(loadgen.Target{Addr: "h:1", Topic: "bench"}, size, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range reqs {
			head, body, _ := strings.Cut(string(req), "\r\n\r\n")
			if !strings.HasPrefix(head, "POST /v3/clusters/bench/topics/bench/records:batch HTTP/1.1\r\n") ||
				!strings.HasSuffix(head, "\r\nContent-Length: "+strconv.Itoa(len(body))) {
				t.Fatalf("head %q for a body of %d bytes", head, len(body))
			}
			var batch struct{ Entries []json.RawMessage }
			if err := json.Unmarshal([]byte(body), &batch); err != nil || len(batch.Entries) != size {
				t.Fatalf("body of %d entries: %d entries, %v", size, len(batch.Entries), err)
			}
			ids := map[string]bool{}
			for _, e := range batch.Entries {
				var entry struct{ ID string }
				if len(e) != 200 || json.Unmarshal(e, &entry) != nil || ids[entry.ID] {
					t.Fatalf("entry %s: %d bytes, want 200 and a distinct id", e, len(e))
				}
				ids[entry.ID] = true
			}
		}
	}
	ok, failed, first := countBatchAnswer([]byte(`{"successes":[{"id":"000","offset":1},{"id":"002"}],"failures":[{"id":"001","error_code":429,"message":"x"}]}`))
	if ok != 2 || failed != 1 || string(first) != `{"id":"001","error_code":429,"message":"x"}` {
		t.Errorf("countBatchAnswer = %d, %d, %s", ok, failed, first)
	}
}
