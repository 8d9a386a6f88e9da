// Command bench measures the produce proxy from outside: it
// starts a Kafka-protocol broker (kfake, in a child process) and the real
// restproxy binary as its own process, both on loopback, then drives the
// same records through them in several modes and prints one table (and
// JSON, and a PNG plot of it).
//
//	go run ./hack/bench --out bin/bench.json --plot docs/bench.png
//	go run ./hack/bench --from-json bin/bench.json --plot docs/bench.png
//
// Everything shares the machine's cores: the load generator, the broker
// and the proxy. The figures are for comparing runs on one machine, not
// absolute capacities.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == floorCommand {
		if err := runFloorChild(); err != nil {
			fmt.Fprintf(os.Stderr, "bench floor: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == brokerCommand {
		if err := runBrokerChild(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "bench broker: %v\n", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// allModes are the mode families --modes selects from, in run order.
var allModes = []string{"direct", "stream", "traced", "avro", "single", "jwt", "batch", "gzip", "floor", "latency", "open", "stalled"}

type options struct {
	proxyBin, out, plot, fromJSON, workDir string
	baseline                               string
	proxyConfig                            config.Config // the base of every proxy's config
	proxyEnv                               []string      // added to the proxy's environment

	duration       time.Duration
	repeat         int
	recordBytes    int
	partitions     int
	modes          map[string]bool
	streams        []int
	singleClients  int
	batch          batchOptions
	gzipStreams    int
	latencyRate    float64
	latencyStreams int
	openStreams    int
	trickleEvery   time.Duration
	stallStreams   int
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.proxyBin, "proxy-bin", "bin/restproxy", "the restproxy `binary` to measure (make build)")
	fs.StringVar(&o.out, "out", "", "write the results as JSON to `file`")
	fs.StringVar(&o.plot, "plot", "", "render throughput and latency as a PNG to `file`")
	fs.StringVar(&o.fromJSON, "from-json", "", "measure nothing: print and plot the results in `file` (from --out)")
	fs.StringVar(&o.baseline, "baseline", "", "also print each mode's change from the run in `file` (from --out)")
	fs.StringVar(&o.workDir, "work-dir", "", "`directory` for the proxy's config files and logs (default: a temporary one, removed unless a mode failed)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each mode sends")
	fs.IntVar(&o.repeat, "repeat", 1, "run each mode this many times and report the median run (the figures shared machines make noisy)")
	fs.IntVar(&o.recordBytes, "record-bytes", 200, "size of each record's JSON text")
	fs.IntVar(&o.partitions, "partitions", 3, "partitions of the benchmark topic")
	configPath := fs.String("proxy-config", "", "YAML proxy config `file` to start from instead of the defaults (listeners, bootstrap servers and log level are the benchmark's); the direct mode copies its producer settings")
	env := fs.String("proxy-env", "", "comma-separated `KEY=VALUE`s added to the proxy's environment, e.g. GOGC=200,GOMAXPROCS=1")
	modes := fs.String("modes", strings.Join(allModes, ","), "comma-separated modes to run, of "+strings.Join(allModes, ","))
	streams := fs.String("streams", "1,8,64", "comma-separated concurrent stream counts for the stream modes")
	fs.IntVar(&o.singleClients, "single-clients", 64, "keep-alive clients in the single mode (one record per POST)")
	batchSizes := fs.String("batch-sizes", "10,100", "comma-separated entries per records:batch request for the batch modes (each at most 1000)")
	fs.IntVar(&o.batch.clients, "batch-clients", 64, "keep-alive clients in the batch modes (one batch per POST)")
	fs.IntVar(&o.gzipStreams, "gzip-streams", 8, "concurrent gzip-compressed streams in the gzip mode")
	fs.Float64Var(&o.latencyRate, "latency-rate", 20000, "offered records/s in the latency mode")
	fs.IntVar(&o.latencyStreams, "latency-streams", 8, "streams sharing the latency mode's rate")
	fs.IntVar(&o.openStreams, "open-streams", 1000, "concurrent streams held open in the open mode")
	fs.DurationVar(&o.trickleEvery, "trickle-every", 200*time.Millisecond, "each open-mode stream sends one record this often")
	fs.IntVar(&o.stallStreams, "stall-streams", 128, "streams pushing while the broker is stalled")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.proxyConfig = config.Default()
	if *configPath != "" {
		cfg, err := config.Load(*configPath)
		if err != nil {
			return nil, fmt.Errorf("--proxy-config: %w", err)
		}
		o.proxyConfig = cfg
	}
	if *env != "" {
		for _, kv := range strings.Split(*env, ",") {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return nil, fmt.Errorf("--proxy-env: %q is not KEY=VALUE", kv)
			}
			o.proxyEnv = append(o.proxyEnv, kv)
		}
	}
	o.modes = map[string]bool{}
	for _, m := range strings.Split(*modes, ",") {
		m = strings.TrimSpace(m)
		if !contains(allModes, m) {
			return nil, fmt.Errorf("--modes: unknown mode %q, want some of %s", m, strings.Join(allModes, ","))
		}
		o.modes[m] = true
	}
	for _, s := range strings.Split(*streams, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--streams: %q is not a positive whole number", s)
		}
		o.streams = append(o.streams, n)
	}
	if err := o.batch.parseSizes(*batchSizes, &o.proxyConfig); err != nil {
		return nil, err
	}
	switch {
	case o.duration <= 0:
		return nil, fmt.Errorf("--duration %s: want more than 0", o.duration)
	case o.repeat < 1:
		return nil, fmt.Errorf("--repeat %d: want at least 1", o.repeat)
	case o.partitions < 1:
		return nil, fmt.Errorf("--partitions %d: want at least 1", o.partitions)
	case o.singleClients < 1, o.batch.clients < 1, o.gzipStreams < 1, o.latencyStreams < 1, o.openStreams < 1, o.stallStreams < 1:
		return nil, errors.New("--single-clients, --batch-clients, --gzip-streams, --latency-streams, --open-streams and --stall-streams must be at least 1")
	case o.latencyRate <= 0:
		return nil, fmt.Errorf("--latency-rate %g: want more than 0", o.latencyRate)
	case o.trickleEvery <= 0:
		return nil, fmt.Errorf("--trickle-every %s: want more than 0", o.trickleEvery)
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	var report *Report
	if o.fromJSON != "" {
		report, err = readReport(o.fromJSON)
	} else {
		report, err = measureAll(o, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if err := report.printTable(stdout); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if o.baseline != "" {
		base, err := readReport(o.baseline)
		if err == nil {
			err = printComparison(stdout, base, report)
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench: --baseline: %v\n", err)
			return 1
		}
	}
	if o.out != "" {
		if err := report.writeJSON(o.out); err != nil {
			fmt.Fprintf(stderr, "bench: write --out: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s\n", o.out)
	}
	if o.plot != "" {
		if err := writePlot(report, o.plot); err != nil {
			fmt.Fprintf(stderr, "bench: write --plot: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s\n", o.plot)
	}
	for _, r := range report.Results {
		if r.Failed > 0 || r.FirstFailure != "" {
			fmt.Fprintln(stderr, "bench: some records failed; see the table's notes")
			return 1
		}
	}
	return 0
}

func newReport(o *options) *Report {
	return &Report{
		Started:     time.Now().UTC().Format(time.RFC3339),
		GoVersion:   runtime.Version(),
		CPUs:        runtime.NumCPU(),
		RecordBytes: o.recordBytes,
		Partitions:  o.partitions,
		Duration:    o.duration.String(),
		Repeat:      o.repeat,
	}
}
