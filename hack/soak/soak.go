package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

const soakTopic = "soak"

// soakRun is one soak: its parts and what it has seen.
type soakRun struct {
	o       *options
	out     io.Writer
	outMu   sync.Mutex
	start   time.Time // of the load
	broker  *devbroker.Broker
	proxy   *loadgen.Proxy
	v       *verifier
	c       *clients
	w       *watch
	faults  atomic.Int64 // begun
	sampErr []string
	lastRow sample // the table's latest row
}

func (r *soakRun) logf(format string, args ...any) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	at := ""
	if !r.start.IsZero() {
		at = "[" + clock(time.Since(r.start)) + "] "
	}
	fmt.Fprintf(r.out, "soak: "+at+format+"\n", args...)
}

// soak runs the whole soak and reports whether it passed.
func soak(o *options, out io.Writer) (bool, error) {
	dir := o.workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "restproxy-soak-"); err != nil {
			return false, err
		}
	}
	r := &soakRun{o: o, out: out}
	rate := o.load.rate
	if rate == 0 {
		capacity, err := measureCapacity(o, dir, out)
		if err != nil {
			return false, err
		}
		rate = o.load.share * capacity
		r.logf("capacity: %.0f records/s (the benchmark's stream-%d for %s); the soak offers %.0f%% of it: %.0f records/s",
			capacity, o.load.streams, o.capacityFor, o.load.share*100, rate)
	}
	passed, err := r.runWith(dir, rate)
	if o.workDir == "" && err == nil && passed {
		os.RemoveAll(dir)
	} else {
		r.logf("the proxy's config and log are kept in %s", dir)
	}
	return passed, err
}

// runWith starts the broker, the proxy and the verifier, and runs the load
// on them.
func (r *soakRun) runWith(dir string, rate float64) (bool, error) {
	o := r.o
	var err error
	r.broker, err = devbroker.Start("127.0.0.1:0", map[string]int32{soakTopic: int32(o.load.partitions)})
	if err != nil {
		return false, err
	}
	defer r.broker.Close()
	r.proxy, err = loadgen.StartProxy(o.proxyBin, nil, config.Default(), dir, "soak", r.broker.Addr())
	if err != nil {
		return false, err
	}
	r.logf("broker (kfake, in this process) on %s, topic %q with %d partitions; proxy pid %d on %s, log %s",
		r.broker.Addr(), soakTopic, o.load.partitions, r.proxy.PID(), r.proxy.Addr, r.proxy.Log)
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.broker.Addr()))
	if err != nil {
		r.proxy.Kill()
		return false, err
	}
	defer cl.Close()
	admin := &adminClient{cl: cl, topic: soakTopic, partitions: o.load.partitions}
	codec := newRecordCodec()
	r.v = newVerifier(codec, o.load.partitions)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := r.v.consume(ctx, r.broker.Addr(), soakTopic); err != nil {
			r.v.problems.note("read back", err)
		}
	}()
	go admin.trim(ctx, r.v)
	r.c = &clients{target: loadgen.Target{Addr: r.proxy.Addr, Topic: soakTopic}, codec: codec,
		ledger: &ledger{}, acks: r.v, load: o.load, rate: rate}
	r.w = &watch{proxy: r.proxy, warmUp: o.warmUp, bounds: o.bounds}
	r.runLoad()
	ends := r.finishLoad(ctx, admin)
	stopErr := r.proxy.Stop(30 * time.Second)
	return r.report(ends, stopErr), nil
}

// runLoad runs the clients until the deadline, with faults on schedule
// and the proxy sampled, then sends again what still waits for a 200.
func (r *soakRun) runLoad() {
	o := r.o
	r.start = time.Now()
	r.c.deadline = r.start.Add(o.duration)
	r.logf("load: %.0f records/s over %d streams living %s to %s each (%.0f%% dropped instead of ended), plus %g single-record POSTs/s on new connections, for %s; a broker fault every %s for %s; warm-up %s",
		r.c.rate, o.load.streams, o.load.minLife, o.load.maxLife, o.load.abortShare*100, o.load.singleRate, o.duration, o.faultEvery, o.faultLength, o.warmUp)
	done := make(chan struct{})
	go func() {
		r.c.run()
		close(done)
	}()
	go r.injectFaults()
	fmt.Fprintln(r.out, tableHeader)
	tick := time.NewTicker(o.sampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			r.logf("load ended; every stream ended and its reports read")
			r.c.drainRetries(30)
			r.logf("sent again what had no 200: %d records still without one", r.c.ledger.waiting())
			return
		case <-tick.C:
		}
		s, ok := r.sample()
		if ok && s.at/o.rowEvery > r.lastRow.at/o.rowEvery {
			r.printRow(s)
		}
	}
}

func (r *soakRun) printRow(s sample) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	fmt.Fprintln(r.out, row(s, r.lastRow))
	r.lastRow = s
}

// sample takes and judges one sample of the proxy.
func (r *soakRun) sample() (sample, bool) {
	s, err := r.w.take(time.Since(r.start), r.c.ledger.acked.Load(), int(r.faults.Load()))
	if err != nil {
		if len(r.sampErr) < 5 {
			r.sampErr = append(r.sampErr, err.Error())
		}
		r.logf("sample: %v", err)
		return s, false
	}
	if r.w.judge(s) {
		r.logf("%s", r.w.boundsText())
	}
	return s, true
}

// injectFaults begins a fault every o.faultEvery, alternating the kinds,
// as long as it ends before the load does.
func (r *soakRun) injectFaults() {
	o := r.o
	for k := 1; ; k++ {
		at := r.start.Add(time.Duration(k) * o.faultEvery)
		if at.Add(o.faultLength).After(r.c.deadline) {
			return
		}
		time.Sleep(time.Until(at))
		kind := faultKinds[(k-1)%len(faultKinds)]
		r.faults.Add(1)
		r.logf("fault %d: the broker %s for %s", k, faultText[kind], o.faultLength)
		injectFault(r.broker, kind, o.faultLength)
		r.logf("fault %d over", k)
	}
}

var faultText = map[string]string{
	"error": "answers every produce request NOT_LEADER_OR_FOLLOWER",
	"stall": "leaves every produce request unanswered",
}

// finishLoad waits until everything Kafka holds has been read back,
// settles the 200s still waiting, and takes the last sample. It returns
// the partitions' end offsets.
func (r *soakRun) finishLoad(ctx context.Context, admin *adminClient) []int64 {
	ends, err := admin.endOffsets(ctx)
	if err != nil {
		r.v.problems.note("end offsets", err)
		return nil
	}
	limit := time.Now().Add(2 * time.Minute)
	for p := 0; p < len(ends) && time.Now().Before(limit); {
		if r.v.readUpTo(p) >= ends[p] {
			p++
			continue
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.v.finish(ends)
	r.sample() // the figures at the end, idle, for the summary
	return ends
}
