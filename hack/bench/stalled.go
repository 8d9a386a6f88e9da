package main

import (
	"fmt"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// runStalled measures a fresh proxy whose broker stops answering (a relay
// between them stops forwarding) while clients push as fast as they can:
// the proxy's memory must stay bounded by its in-flight limits. After the
// stall the relay resumes and every record must still get its report.
func (b *bench) runStalled() (Result, error) {
	b.countStored = false // its records go to a broker of its own
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
	p, err := loadgen.StartProxy(b.o.proxyBin, b.o.proxyEnv, b.o.proxyConfig, b.dir, b.fileName("stalled"), r.addr())
	if err != nil {
		return Result{}, err
	}
	defer p.Stop(30 * time.Second)
	target := loadgen.Target{Addr: p.Addr, Topic: benchTopic}

	// Connect the producer to the broker before the stall, as a proxy in
	// service would be.
	if err := warmUp(target); err != nil {
		return Result{}, fmt.Errorf("stalled: through the relay: %w", err)
	}

	n := b.o.stallStreams
	limits := b.o.proxyConfig.HTTP
	var stallRSS, stallAnon int64 // VmHWM and RssAnon at the stall's end
	var inFlight float64
	var forwarded int64
	var stalled time.Duration
	res := b.measure(Result{Mode: "stalled", Kind: "memory", Streams: n}, p.PID(),
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
			inFlight, _ = p.Metric("restproxy_in_flight_records")
			if u, err := loadgen.ReadUsage(p.PID()); err == nil {
				stallRSS, stallAnon = u.HWMBytes, u.AnonBytes
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
	res.PeakRSSMiB, res.PeakAnonMiB = mib(stallRSS), mib(stallAnon)
	return res, nil
}
