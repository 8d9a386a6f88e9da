package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// The load generators run briefly here against a real proxy server (in
// this process: the binary is what make bench measures) and a real kfake
// broker, to show that they count what they send and what comes back, and
// that the relay really stalls the broker. Each runs for a fraction of a
// second; no figure is asserted.

const smokeLoad = 150 * time.Millisecond

func startTestProxy(t *testing.T, bootstrap string) loadgen.Target {
	t.Helper()
	cfg := config.Default()
	cfg.Listen, cfg.ManagementListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Kafka.BootstrapServers = []string{bootstrap}
	srv, err := proxy.New(cfg, proxy.NewLogger(cfg.Logging, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("proxy Run: %v", err)
		}
	})
	return loadgen.Target{Addr: srv.Addr().String(), Topic: benchTopic}
}

func startTestBroker(t *testing.T) string {
	t.Helper()
	b, err := devbroker.Start("127.0.0.1:0", map[string]int32{benchTopic: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addr()
}

// checkTally fails unless every record sent got a 200 report.
func checkTally(t *testing.T, name string, tl *tally) {
	t.Helper()
	sent, ok, failed := tl.sent.Load(), tl.ok.Load(), tl.failed.Load()
	if sent == 0 || ok != sent || failed != 0 || tl.failure() != "" {
		t.Fatalf("%s: sent %d, ok %d, failed %d, first failure %q; want every record sent reported 200", name, sent, ok, failed, tl.failure())
	}
}

func TestLoadGenerators_CountEveryRecordAndReport(t *testing.T) {
	broker := startTestBroker(t)
	target := startTestProxy(t, broker)
	rs, err := newRecordSet(recordSetSize, 200)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() int64 {
		n, err := storedRecords(broker, benchTopic, 3)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("push", func(t *testing.T) {
		before := stored()
		var tl tally
		pushStreams(target, rs, 2, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "pushStreams", &tl)
		if got := stored() - before; got != tl.ok.Load() {
			t.Fatalf("broker stored %d records, the proxy reported %d", got, tl.ok.Load())
		}
	})
	t.Run("single", func(t *testing.T) {
		var tl tally
		postSingles(target, rs, 4, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "postSingles", &tl)
	})
	t.Run("batch", func(t *testing.T) {
		before := stored()
		reqs, err := batchRequests(target, 10, 200)
		if err != nil {
			t.Fatal(err)
		}
		var tl tally
		postBatches(target, reqs, 10, 4, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "postBatches", &tl)
		if got := stored() - before; got != tl.ok.Load() {
			t.Fatalf("broker stored %d records, the proxy reported %d", got, tl.ok.Load())
		}
	})
	t.Run("gzip", func(t *testing.T) {
		before := stored()
		chunk, err := gzipChunk(rs)
		if err != nil {
			t.Fatal(err)
		}
		var tl tally
		pushGzipStreams(target, rs, chunk, 2, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "pushGzipStreams", &tl)
		if got := stored() - before; got != tl.ok.Load() {
			t.Fatalf("broker stored %d records, the proxy reported %d", got, tl.ok.Load())
		}
	})
	t.Run("paced", func(t *testing.T) {
		var tl tally
		lat := paceStreams(target, rs, 2, 2000, time.Now().Add(2*smokeLoad), &tl)
		checkTally(t, "paceStreams", &tl)
		if int64(len(lat)) != tl.ok.Load() {
			t.Fatalf("%d latencies for %d reports", len(lat), tl.ok.Load())
		}
		for _, d := range lat {
			if d <= 0 {
				t.Fatalf("latency %s, want more than 0", d)
			}
		}
	})
	t.Run("trickle", func(t *testing.T) {
		var tl tally
		trickleStreams(target, rs, 20, 20*time.Millisecond, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "trickleStreams", &tl)
	})
	t.Run("direct", func(t *testing.T) {
		before := stored()
		var tl tally
		writeDirect(broker, benchTopic, config.Default(), rs, time.Now().Add(smokeLoad), &tl)
		checkTally(t, "writeDirect", &tl)
		if got := stored() - before; got != tl.ok.Load() {
			t.Fatalf("broker stored %d records, the writer was acknowledged %d", got, tl.ok.Load())
		}
	})
}

// A paused relay must hold back every acknowledgement: no report while
// it is paused, all of them once it resumes.
func TestRelay_PauseStallsTheBrokerForTheProxy(t *testing.T) {
	r, err := newRelay()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	b, real, err := startAdvertisingBroker(benchTopic, 3, r.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r.serve(real)
	target := startTestProxy(t, r.addr())
	rs, err := newRecordSet(10, 200)
	if err != nil {
		t.Fatal(err)
	}
	var warm tally
	pushStreams(target, rs, 1, time.Now(), &warm)
	checkTally(t, "warm-up", &warm)

	r.setPaused(true)
	forwarded := r.forwarded.Load()
	var tl tally
	done := make(chan struct{})
	go func() {
		pushStreams(target, rs, 2, time.Now().Add(smokeLoad), &tl)
		close(done)
	}()
	// Wait until the proxy has records it cannot have had acknowledged.
	for deadline := time.Now().Add(10 * time.Second); tl.sent.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no record sent within 10s")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(smokeLoad) // the stall itself: a duration, not a synchronisation
	if ok := tl.ok.Load(); ok != 0 || r.forwarded.Load() != forwarded {
		t.Fatalf("while paused: %d reports 200, %d bytes relayed; want none", ok, r.forwarded.Load()-forwarded)
	}
	r.setPaused(false)
	<-done
	checkTally(t, "after the stall", &tl)
}
