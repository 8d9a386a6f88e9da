package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

const benchTopic = "bench"

// recordSetSize is how many distinct records (and keys) each mode cycles
// through; one stream chunk carries all of them.
const recordSetSize = 256

// measureAll runs the selected modes in order and returns their rows.
func measureAll(o *options, progress io.Writer) (*Report, error) {
	if _, err := os.Stat(o.proxyBin); err != nil {
		return nil, fmt.Errorf("proxy binary: %w (run make build, or pass --proxy-bin)", err)
	}
	rs, err := newRecordSet(recordSetSize, o.recordBytes)
	if err != nil {
		return nil, err
	}
	dir := o.workDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "restproxy-bench-"); err != nil {
			return nil, err
		}
	}
	b := &bench{o: o, rs: rs, dir: dir, progress: progress, report: newReport(o)}
	err = b.runModes()
	if o.workDir == "" && err == nil && !b.failed() {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(progress, "bench: proxy configs and logs kept in %s\n", dir)
	}
	if err != nil {
		return nil, err
	}
	b.report.setRatios()
	return b.report, nil
}

type bench struct {
	broker      *brokerProcess
	countStored bool // whether the mode's records go to broker
	o           *options
	rs          *recordSet
	dir         string
	progress    io.Writer
	report      *Report
	run         int // 1-based run of the current mode, when --repeat > 1
}

func (b *bench) failed() bool {
	for _, r := range b.report.Results {
		if r.Failed > 0 || r.FirstFailure != "" {
			return true
		}
	}
	return false
}

func (b *bench) runModes() error {
	broker, err := startBrokerProcess(benchTopic, b.o.partitions)
	if err != nil {
		return err
	}
	defer broker.stop()
	b.broker, b.countStored = broker, true

	if b.o.modes["direct"] {
		err := b.repeat(func() (Result, error) {
			res := b.measure(Result{Mode: "direct", Kind: "throughput"}, 0, func(deadline time.Time, tl *tally) []time.Duration {
				writeDirect(broker.addr, benchTopic, b.o.proxyConfig, b.rs, deadline, tl)
				return nil
			})
			if res.OK > 0 {
				// The part of a proxy's cost per record that kafka-go alone
				// takes; here it is all this process does.
				res.Note = fmt.Sprintf("kafka-go writer's CPU: %.2f µs/record", res.LoadCPUSeconds*1e6/float64(res.OK))
			}
			return res, nil
		})
		if err != nil {
			return err
		}
	}
	for _, m := range b.proxyModes() {
		if !b.o.modes[m.family] {
			continue
		}
		if err := b.repeat(func() (Result, error) { return b.withProxy(broker.addr, m.res, m.load) }); err != nil {
			return err
		}
	}
	if b.o.modes["stalled"] {
		b.countStored = false // its records go to a broker of its own
		if err := b.repeat(b.runStalled); err != nil {
			return err
		}
	}
	return nil
}

// proxyMode is a mode measured on its own proxy against the main broker.
type proxyMode struct {
	family string // its name in --modes
	res    Result // the row's name, kind and description
	load   func(target produceTarget, deadline time.Time, tl *tally) []time.Duration
}

// proxyModes lists the modes that share the main broker, in run order.
func (b *bench) proxyModes() []proxyMode {
	o := b.o
	var modes []proxyMode
	for _, n := range o.streams {
		modes = append(modes, proxyMode{"stream", Result{Mode: fmt.Sprintf("stream-%d", n), Kind: "throughput", Streams: n},
			func(t produceTarget, deadline time.Time, tl *tally) []time.Duration {
				pushStreams(t, b.rs, n, deadline, tl)
				return nil
			}})
	}
	modes = append(modes,
		proxyMode{"single", Result{Mode: fmt.Sprintf("single-%d", o.singleClients), Kind: "throughput", Streams: o.singleClients,
			Note: "one record per POST on keep-alive connections; records/s = requests/s"},
			func(t produceTarget, deadline time.Time, tl *tally) []time.Duration {
				postSingles(t, b.rs, o.singleClients, deadline, tl)
				return nil
			}},
		proxyMode{"latency", Result{Mode: "latency-" + rateName(o.latencyRate), Kind: "latency", Streams: o.latencyStreams,
			OfferedPerSec: o.latencyRate,
			Note:          fmt.Sprintf("%g records/s offered over %d streams; latency from a record's last byte sent to its report read", o.latencyRate, o.latencyStreams)},
			func(t produceTarget, deadline time.Time, tl *tally) []time.Duration {
				return paceStreams(t, b.rs, o.latencyStreams, o.latencyRate, deadline, tl)
			}},
		proxyMode{"open", Result{Mode: fmt.Sprintf("open-%d", o.openStreams), Kind: "memory", Streams: o.openStreams,
			Note: fmt.Sprintf("%d streams open at once, each sending one record every %s", o.openStreams, o.trickleEvery)},
			func(t produceTarget, deadline time.Time, tl *tally) []time.Duration {
				trickleStreams(t, b.rs, o.openStreams, o.trickleEvery, deadline, tl)
				return nil
			}},
	)
	return modes
}

// withProxy measures one mode on a proxy process of its own, so that no
// mode inherits another's heap, goroutines or garbage, and the process's
// VmHWM is the mode's peak RSS. The proxy is warmed up first: a fresh
// process's first records wait for Kafka connections that a proxy in
// service already has.
func (b *bench) withProxy(bootstrap string, res Result, load func(t produceTarget, deadline time.Time, tl *tally) []time.Duration) (Result, error) {
	p, err := startProxy(b.o.proxyBin, b.o.proxyEnv, b.o.proxyConfig, b.dir, b.fileName(res.Mode), bootstrap)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err := p.stop(30 * time.Second); err != nil {
			fmt.Fprintf(b.progress, "bench: %s: stop proxy: %v\n", res.Mode, err)
		}
	}()
	if err := warmUp(p); err != nil {
		return Result{}, fmt.Errorf("%s: %w", res.Mode, err)
	}
	target := produceTarget{addr: p.addr, topic: benchTopic}
	res = b.measure(res, p.pid(), func(deadline time.Time, tl *tally) []time.Duration {
		return load(target, deadline, tl)
	})
	return b.withHWM(res, p.pid()), nil
}

// fileName names a mode's proxy config and log in the work directory, one
// pair per run.
func (b *bench) fileName(mode string) string {
	if b.o.repeat > 1 {
		return fmt.Sprintf("%s.run%d", mode, b.run)
	}
	return mode
}

// warmUp sends one stream's worth of records through a fresh proxy and
// checks they were all produced.
func warmUp(p *proxyProcess) error {
	rs, err := newRecordSet(100, minRecordBytes)
	if err != nil {
		return err
	}
	var tl tally
	pushStreams(produceTarget{addr: p.addr, topic: benchTopic}, rs, 1, time.Now(), &tl)
	if tl.ok.Load() != tl.sent.Load() || tl.failure() != "" {
		return fmt.Errorf("warm-up: %d of %d records reported 200 (%s)", tl.ok.Load(), tl.sent.Load(), tl.failure())
	}
	return nil
}

// runStalled measures a fresh proxy whose broker stops answering (a relay
// between them stops forwarding) while clients push as fast as they can:
// the proxy's memory must stay bounded by its in-flight limits. After the
// stall the relay resumes and every record must still get its report.
func (b *bench) runStalled() (Result, error) {
	r, err := newRelay()
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	broker, real, err := startAdvertisingBroker(benchTopic, b.o.partitions, r.addr())
	if err != nil {
		return Result{}, err
	}
	defer broker.Close()
	r.serve(real)
	p, err := startProxy(b.o.proxyBin, b.o.proxyEnv, b.o.proxyConfig, b.dir, b.fileName("stalled"), r.addr())
	if err != nil {
		return Result{}, err
	}
	defer p.stop(30 * time.Second)
	target := produceTarget{addr: p.addr, topic: benchTopic}

	// Connect the producer to the broker before the stall, as a proxy in
	// service would be.
	if err := warmUp(p); err != nil {
		return Result{}, fmt.Errorf("stalled: through the relay: %w", err)
	}

	n := b.o.stallStreams
	limits := b.o.proxyConfig.HTTP
	var stallRSS int64
	var inFlight float64
	var forwarded int64
	var stalled time.Duration
	res := b.measure(Result{Mode: "stalled", Kind: "memory", Streams: n}, p.pid(),
		func(deadline time.Time, tl *tally) []time.Duration {
			// A stall longer than a third of the delivery timeout would end
			// in 50003 reports, which are right but not this mode's subject.
			limit := time.Duration(b.o.proxyConfig.Producer.DeliveryTimeoutMs) * time.Millisecond / 3
			deadline = minTime(deadline, time.Now().Add(limit))
			stalled = time.Until(deadline)
			r.setPaused(true)
			before := r.forwarded.Load()
			done := make(chan struct{})
			go func() {
				pushStreams(target, b.rs, n, deadline, tl)
				close(done)
			}()
			time.Sleep(time.Until(deadline))
			forwarded = r.forwarded.Load() - before
			inFlight, _ = p.metric("restproxy_in_flight_records")
			if u, err := readProcUsage(p.pid()); err == nil {
				stallRSS = u.hwmBytes
			}
			r.setPaused(false)
			<-done
			return nil
		})
	res.Note = fmt.Sprintf("broker stalled for %s (%d bytes relayed meanwhile) while %d streams pushed; at the stall's end %.0f records in flight (bounds: %d per stream, %d per process)",
		stalled.Round(time.Millisecond), forwarded, n, inFlight, limits.MaxInFlightPerStream, limits.MaxInFlightTotal)
	if inFlight > 0 {
		res.Note += fmt.Sprintf(", %.1f KiB of RSS each above the %.1f MiB before the stall", (mib(stallRSS)-res.StartRSSMiB)*1024/inFlight, res.StartRSSMiB)
	}
	res.Note += fmt.Sprintf("; peak RSS including the drain after the stall %.1f MiB", res.PeakRSSMiB)
	// The row's figures are the stall's: a rate means nothing while the
	// broker answers nothing, and the drain afterwards is throughput mode.
	res.RecordsPerSec, res.MBPerSec, res.CPUMicrosPerRecord = 0, 0, 0
	res.PeakRSSMiB = mib(stallRSS)
	return res, nil
}

// withHWM takes a fresh process's VmHWM as the row's peak, which catches
// peaks between two polls.
func (b *bench) withHWM(res Result, pid int) Result {
	if u, err := readProcUsage(pid); err == nil {
		res.PeakRSSMiB = max(res.PeakRSSMiB, mib(u.hwmBytes))
	}
	return res
}

// measure runs load until the mode's deadline, with the proxy's CPU time
// and RSS read around it (pid 0: no proxy) and the main broker's stored
// records counted (when the mode uses it), and fills res.
func (b *bench) measure(res Result, pid int, load func(deadline time.Time, tl *tally) []time.Duration) Result {
	fmt.Fprintf(b.progress, "bench: %s ...\n", res.Mode)
	var before procUsage
	var sampler *rssSampler
	if pid != 0 {
		before, _ = readProcUsage(pid)
		res.StartRSSMiB = mib(before.rssBytes)
		sampler = sampleRSS(pid, 20*time.Millisecond)
	}
	brokerBefore, _ := readProcUsage(b.broker.pid())
	storedBefore, storedErr := storedRecords(b.broker.addr, benchTopic, b.o.partitions)
	selfBefore := selfCPU()
	start := time.Now()
	tl := tally{start: start}
	latencies := load(start.Add(b.o.duration), &tl)
	elapsed := time.Since(start)
	if last := tl.lastReport.Load(); last != 0 {
		elapsed = time.Duration(last)
	}

	res.Sent, res.OK, res.Failed = tl.sent.Load(), tl.ok.Load(), tl.failed.Load()
	res.FirstFailure = tl.failure()
	if res.OK+res.Failed != res.Sent && res.FirstFailure == "" {
		res.FirstFailure = fmt.Sprintf("%d records sent, %d reports", res.Sent, res.OK+res.Failed)
	}
	res.LoadCPUSeconds = (selfCPU() - selfBefore).Seconds()
	if brokerAfter, err := readProcUsage(b.broker.pid()); err == nil {
		res.BrokerCPUSeconds = (brokerAfter.cpu - brokerBefore.cpu).Seconds()
	}
	if b.countStored && storedErr == nil {
		if after, err := storedRecords(b.broker.addr, benchTopic, b.o.partitions); err == nil {
			res.Stored = after - storedBefore
			if res.Stored < res.OK && res.FirstFailure == "" {
				res.FirstFailure = fmt.Sprintf("%d records reported 200 but the broker's offsets advanced by %d", res.OK, res.Stored)
			}
		}
	}
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.RecordsPerSec = float64(res.OK) / res.Seconds
		res.MBPerSec = res.RecordsPerSec * float64(b.rs.size) / 1e6
	}
	if len(latencies) > 0 {
		ps := percentiles(latencies, 0.50, 0.99, 0.999)
		res.P50Ms, res.P99Ms, res.P999Ms = ms(ps[0]), ms(ps[1]), ms(ps[2])
	}
	if pid != 0 {
		res.PeakRSSMiB = mib(sampler.finish())
		if after, err := readProcUsage(pid); err == nil {
			cpu := after.cpu - before.cpu
			res.ProxyCPUSeconds = cpu.Seconds()
			if n := res.OK + res.Failed; n > 0 {
				res.CPUMicrosPerRecord = float64(cpu.Microseconds()) / float64(n)
			}
		}
	}
	fmt.Fprintf(b.progress, "bench: %s: %.0f records/s, %d ok, %d failed\n", res.Mode, res.RecordsPerSec, res.OK, res.Failed)
	return res
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

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

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(n int64) float64        { return float64(n) / (1 << 20) }

// rateName is a rate as a mode name shows it: 20000 as "20k".
func rateName(rate float64) string {
	if rate >= 1000 && int(rate)%1000 == 0 {
		return fmt.Sprintf("%dk", int(rate)/1000)
	}
	return fmt.Sprintf("%g", rate)
}
