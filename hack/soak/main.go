// Command soak runs the restproxy binary for a long time under steady
// streaming load (make soak; not part of make test or CI): it measures the
// proxy's capacity with the benchmark's stream mode, then offers half of
// it for --duration, with streams ending and new connections opening all
// the time, and a broker fault every --fault-every. It fails if the
// proxy's RSS, goroutines or open file descriptors grow past stated bounds
// over their warm-up baseline, or if any record is lost: a 200 that Kafka
// does not back, or a record that never got its 200.
//
//	go run ./hack/soak --proxy-bin bin/restproxy --bench-bin bin/bench --duration 30m
//
// The broker (kfake, storing records) runs in this process so faults can
// be injected; the proxy is its own process, read from /proc as an
// operator would. Everything shares the machine's cores.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	proxyBin, benchBin, workDir string

	duration    time.Duration // of the load, warm-up included
	warmUp      time.Duration // its samples make the baseline
	faultEvery  time.Duration
	faultLength time.Duration
	sampleEvery time.Duration
	rowEvery    time.Duration // of the table printed as the soak goes
	capacityFor time.Duration // the capacity run's length

	load   loadOptions
	bounds bounds
}

// loadOptions shape the clients.
type loadOptions struct {
	rate       float64 // records/s offered; 0: share × measured capacity
	share      float64
	streams    int
	partitions int
	minLife    time.Duration // of a stream
	maxLife    time.Duration
	abortShare float64 // of streams dropped rather than ended
	singleRate float64 // single-record POSTs a second
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.proxyBin, "proxy-bin", "bin/restproxy", "the restproxy `binary` to soak (make build)")
	fs.StringVar(&o.benchBin, "bench-bin", "", "the hack/bench `binary` that measures the capacity (needed unless --rate)")
	fs.StringVar(&o.workDir, "work-dir", "", "`directory` for the proxy's config and log (default: a temporary one, kept when the soak fails)")
	fs.DurationVar(&o.duration, "duration", 30*time.Minute, "how long the load runs")
	fs.DurationVar(&o.warmUp, "warm-up", 2*time.Minute, "first part of the load whose samples set the baseline (at most a third of --duration)")
	fs.DurationVar(&o.faultEvery, "fault-every", 5*time.Minute, "a broker fault begins this often (alternately errors and a stall)")
	fs.DurationVar(&o.faultLength, "fault-length", 5*time.Second, "how long each broker fault lasts")
	fs.DurationVar(&o.sampleEvery, "sample-every", 10*time.Second, "how often the proxy's RSS, goroutines and fds are read")
	fs.DurationVar(&o.rowEvery, "row-every", time.Minute, "how often a row of samples is printed")
	fs.DurationVar(&o.capacityFor, "capacity-for", 10*time.Second, "length of the capacity run")
	fs.Float64Var(&o.load.rate, "rate", 0, "records/s to offer (default: --share of the measured capacity)")
	fs.Float64Var(&o.load.share, "share", 0.5, "share of the measured capacity to offer")
	fs.IntVar(&o.load.streams, "streams", 8, "concurrent streams, and the benchmark mode measured (stream-N)")
	fs.IntVar(&o.load.partitions, "partitions", 3, "partitions of the soak topic")
	fs.DurationVar(&o.load.minLife, "min-life", 5*time.Second, "shortest life of a stream")
	fs.DurationVar(&o.load.maxLife, "max-life", 60*time.Second, "longest life of a stream")
	fs.Float64Var(&o.load.abortShare, "abort-share", 0.1, "share of streams that drop their connection instead of ending the body")
	fs.Float64Var(&o.load.singleRate, "single-rate", 10, "single-record POSTs a second, each on a new connection")
	fs.Float64Var(&o.bounds.rssMiB, "max-rss-growth", 64, "MiB the proxy's RSS may grow over its baseline")
	fs.IntVar(&o.bounds.goroutines, "max-goroutine-growth", 200, "goroutines the proxy may add over its baseline")
	fs.IntVar(&o.bounds.fds, "max-fd-growth", 100, "open file descriptors the proxy may add over its baseline")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.warmUp = min(o.warmUp, o.duration/3).Round(time.Second)
	return o, o.validate()
}

func (o *options) validate() error {
	l := o.load
	switch {
	case o.duration <= 0, o.faultEvery <= 0, o.faultLength <= 0, o.sampleEvery <= 0, o.rowEvery <= 0, o.capacityFor <= 0:
		return errors.New("--duration, --fault-every, --fault-length, --sample-every, --row-every and --capacity-for must be more than 0")
	case o.faultLength >= o.faultEvery:
		return fmt.Errorf("--fault-length %s: want less than --fault-every %s", o.faultLength, o.faultEvery)
	case l.rate == 0 && o.benchBin == "":
		return errors.New("--bench-bin is needed to measure the capacity, or give --rate")
	case l.rate < 0, l.share <= 0, l.singleRate <= 0:
		return errors.New("--rate must not be negative; --share and --single-rate must be more than 0")
	case l.streams < 1, l.partitions < 1:
		return errors.New("--streams and --partitions must be at least 1")
	case l.minLife <= 0, l.maxLife < l.minLife:
		return fmt.Errorf("--min-life %s, --max-life %s: want 0 < min <= max", l.minLife, l.maxLife)
	case l.abortShare < 0, l.abortShare > 1:
		return fmt.Errorf("--abort-share %g: want 0 to 1", l.abortShare)
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 2
	}
	passed, err := soak(o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	if !passed {
		return 1
	}
	return 0
}
