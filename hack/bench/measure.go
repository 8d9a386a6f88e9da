package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
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
		dir, err = os.MkdirTemp("", "restproxy-bench-")
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("--work-dir: %w", err)
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
	run         int          // 1-based run of the current mode, when --repeat > 1
	issuer      *benchIssuer // the jwt mode's; nil until it runs
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
		cfg := b.o.proxyConfig
		if m.family == "jwt" {
			if b.issuer, err = newBenchIssuer(b.dir); err != nil {
				return err
			}
			b.issuer.configure(&cfg)
		}
		if err := b.repeat(func() (Result, error) { return b.withProxyConfig(broker.addr, cfg, m.res, m.load) }); err != nil {
			return err
		}
	}
	// Modes with a setup of their own; traced and avro compare themselves
	// with stream-8, measured above.
	for _, m := range []struct {
		family string
		run    func() (Result, error)
	}{{"traced", b.runTraced}, {"avro", b.runAvro}, {"floor", b.runFloor}, {"stalled", b.runStalled}} {
		if !b.o.modes[m.family] {
			continue
		}
		if err := b.repeat(m.run); err != nil {
			return err
		}
	}
	return nil
}

// proxyMode is a mode measured on its own proxy against the main broker.
type proxyMode struct {
	family string // its name in --modes
	res    Result // the row's name, kind and description
	load   func(target loadgen.Target, deadline time.Time, tl *tally) []time.Duration
}

// proxyModes lists the modes that share the main broker, in run order.
func (b *bench) proxyModes() []proxyMode {
	o := b.o
	var modes []proxyMode
	for _, n := range o.streams {
		modes = append(modes, proxyMode{"stream", Result{Mode: fmt.Sprintf("stream-%d", n), Kind: "throughput", Streams: n},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				pushStreams(t, b.rs, n, deadline, tl)
				return nil
			}})
	}
	modes = append(modes,
		proxyMode{"single", Result{Mode: fmt.Sprintf("single-%d", o.singleClients), Kind: "throughput", Streams: o.singleClients,
			Note: "one record per POST on keep-alive connections; records/s = requests/s"},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				postSingles(t, b.rs, o.singleClients, deadline, tl)
				return nil
			}},
		b.jwtMode(),
	)
	for _, size := range o.batch.sizes {
		modes = append(modes, proxyMode{"batch", Result{Mode: fmt.Sprintf("batch-%d", size), Kind: "throughput", Streams: o.batch.clients,
			Note: fmt.Sprintf("%d entries of %d bytes per records:batch POST on %d keep-alive clients; records/s = entries/s", size, b.o.recordBytes, o.batch.clients)},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				reqs, err := batchRequests(t, size, b.o.recordBytes)
				if err != nil {
					tl.fail(err)
					return nil
				}
				postBatches(t, reqs, size, o.batch.clients, deadline, tl)
				return nil
			}})
	}
	modes = append(modes,
		proxyMode{"gzip", Result{Mode: fmt.Sprintf("gzip-%d", o.gzipStreams), Kind: "throughput", Streams: o.gzipStreams,
			Note: fmt.Sprintf("%d chunked streams with Content-Encoding: gzip, each chunk one gzip member of %d records", o.gzipStreams, recordSetSize)},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				chunk, err := gzipChunk(b.rs)
				if err != nil {
					tl.fail(err)
					return nil
				}
				pushGzipStreams(t, b.rs, chunk, o.gzipStreams, deadline, tl)
				return nil
			}},
		proxyMode{"latency", Result{Mode: "latency-" + rateName(o.latencyRate), Kind: "latency", Streams: o.latencyStreams,
			OfferedPerSec: o.latencyRate,
			Note:          fmt.Sprintf("%g records/s offered over %d streams; latency from a record's last byte sent to its report read", o.latencyRate, o.latencyStreams)},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				return paceStreams(t, b.rs, o.latencyStreams, o.latencyRate, deadline, tl)
			}},
		proxyMode{"open", Result{Mode: fmt.Sprintf("open-%d", o.openStreams), Kind: "memory", Streams: o.openStreams,
			Note: fmt.Sprintf("%d streams open at once, each sending one record every %s", o.openStreams, o.trickleEvery)},
			func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
				trickleStreams(t, b.rs, o.openStreams, o.trickleEvery, deadline, tl)
				return nil
			}},
	)
	return modes
}

// withProxyConfig measures one mode on a proxy process of its own, so that no
// mode inherits another's heap, goroutines or garbage, and the process's
// VmHWM is the mode's peak RSS. The proxy is warmed up first: a fresh
// process's first records wait for Kafka connections that a proxy in
// service already has.
func (b *bench) withProxyConfig(bootstrap string, cfg config.Config, res Result, load func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration) (Result, error) {
	p, err := loadgen.StartProxy(b.o.proxyBin, b.o.proxyEnv, cfg, b.dir, b.fileName(res.Mode), bootstrap)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err := p.Stop(30 * time.Second); err != nil {
			fmt.Fprintf(b.progress, "bench: %s: stop proxy: %v\n", res.Mode, err)
		}
	}()
	target := loadgen.Target{Addr: p.Addr, Topic: benchTopic}
	if cfg.Authentication.Type == config.AuthJWT {
		target.Authorization = "Bearer " + b.issuer.token
	}
	if err := warmUp(target); err != nil {
		return Result{}, fmt.Errorf("%s: %w", res.Mode, err)
	}
	res = b.measure(res, p.PID(), func(deadline time.Time, tl *tally) []time.Duration {
		return load(target, deadline, tl)
	})
	return b.withHWM(res, p.PID()), nil
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
func warmUp(t loadgen.Target) error {
	rs, err := newRecordSet(100, minRecordBytes)
	if err != nil {
		return err
	}
	var tl tally
	pushStreams(t, rs, 1, time.Now(), &tl)
	if tl.ok.Load() != tl.sent.Load() || tl.failure() != "" {
		return fmt.Errorf("warm-up: %d of %d records reported 200 (%s)", tl.ok.Load(), tl.sent.Load(), tl.failure())
	}
	return nil
}

// withHWM takes a fresh process's VmHWM as the row's peak, which catches
// peaks between two polls.
func (b *bench) withHWM(res Result, pid int) Result {
	if u, err := loadgen.ReadUsage(pid); err == nil {
		res.PeakRSSMiB = max(res.PeakRSSMiB, mib(u.HWMBytes))
	}
	return res
}

// measure runs load until the mode's deadline, with the proxy's CPU time
// and RSS read around it (pid 0: no proxy) and the main broker's stored
// records counted (when the mode uses it), and fills res.
func (b *bench) measure(res Result, pid int, load func(deadline time.Time, tl *tally) []time.Duration) Result {
	fmt.Fprintf(b.progress, "bench: %s ...\n", res.Mode)
	var before loadgen.Usage
	var sampler *rssSampler
	if pid != 0 {
		before, _ = loadgen.ReadUsage(pid)
		res.StartRSSMiB = mib(before.RSSBytes)
		sampler = sampleRSS(pid, 20*time.Millisecond)
	}
	brokerBefore, _ := loadgen.ReadUsage(b.broker.pid())
	storedBefore, storedErr := storedRecords(b.broker.addr, benchTopic, b.o.partitions)
	selfBefore := loadgen.SelfCPU()
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
	res.LoadCPUSeconds = (loadgen.SelfCPU() - selfBefore).Seconds()
	if brokerAfter, err := loadgen.ReadUsage(b.broker.pid()); err == nil {
		res.BrokerCPUSeconds = (brokerAfter.CPU - brokerBefore.CPU).Seconds()
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
		peak, anon := sampler.finish()
		res.PeakRSSMiB, res.PeakAnonMiB = mib(peak), mib(anon)
		if after, err := loadgen.ReadUsage(pid); err == nil {
			cpu := after.CPU - before.CPU
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

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(n int64) float64        { return float64(n) / (1 << 20) }

// rateName is a rate as a mode name shows it: 20000 as "20k".
func rateName(rate float64) string {
	if rate >= 1000 && int(rate)%1000 == 0 {
		return fmt.Sprintf("%dk", int(rate)/1000)
	}
	return fmt.Sprintf("%g", rate)
}
