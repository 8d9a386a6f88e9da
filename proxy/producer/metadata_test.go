package producer

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/loopback"
)

func TestPartitionsOfKnownAndUnknownTopics(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3, "events": 1})
	p := newProducer(t, testConfig(b.Addr()))

	for topic, want := range map[string]int{"orders": 3, "events": 1} {
		n, err := p.Partitions(t.Context(), topic)
		if err != nil || n != want {
			t.Errorf("Partitions(%s) = %d, %v; want %d", topic, n, err, want)
		}
	}
	if n, err := p.Partitions(t.Context(), "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("Partitions(missing) = %d, %v; want ErrUnknownTopic", n, err)
	}
	if err := p.Ready(t.Context()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// A topic created after the producer cached the cluster layout must be found
// at once, not after the transport's metadata TTL, and be writable.
func TestPartitionsSeesTopicCreatedLater(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
	p := newProducer(t, testConfig(b.Addr()))
	if _, err := p.Partitions(t.Context(), "orders"); err != nil { // caches the layout
		t.Fatal(err)
	}

	admin := &kafka.Client{Addr: kafka.TCP(b.Addr())}
	res, err := admin.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: "later", NumPartitions: 2, ReplicationFactor: 1}}})
	if err != nil || res.Errors["later"] != nil {
		t.Fatalf("create topic: %v %v", err, res)
	}

	n, err := p.Partitions(t.Context(), "later")
	if err != nil || n != 2 {
		t.Fatalf("after creation: Partitions = %d, %v; want 2", n, err)
	}
	results := produceAll(t, p, "later", newRecord(1, "", "hello", time.Now()))
	if results[0].Err != nil || results[0].Partition != 1 {
		t.Fatalf("produce to new topic: %s", describe(results[0]))
	}
}

func TestPartitionsWhenBrokerIsUnreachable(t *testing.T) {
	closed := loopback.ClosedAddr(t)
	silent := silentListener(t)
	for name, addr := range map[string]string{"closed port": closed, "broker never answers": silent} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(addr)
			cfg.Producer.MetadataWaitMs = 300
			p := newProducer(t, cfg)

			n, err := p.Partitions(context.Background(), "orders")
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("Partitions = %d, %v; want ErrUnavailable", n, err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			if err := p.Ready(ctx); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Ready = %v, want ErrUnavailable", err)
			}
		})
	}
}

// Every keep-alive client of a busy proxy finds a topic's count expired at
// the same moment. They must share one live check of the cluster, and none
// may fail while the broker is up: each making its own (and dialling a
// connection for it) made some outlast the metadata wait and answer 503.
func TestPartitionsCallersShareOneLiveCheck(t *testing.T) {
	const callers = 64
	for name, expire := range map[string]func(m *metadata){
		"count missing": func(m *metadata) { delete(m.counts, "orders") },
		"count stale": func(m *metadata) {
			m.counts["orders"] = cachedCount{n: 3, at: time.Now().Add(-metadataTTL - time.Second)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := kafkatest.StartBroker(t, map[string]int32{"orders": 3})
			var seen atomic.Int64 // ApiVersions requests the broker answered
			c := b.Cluster()
			c.ControlKey(int16(kmsg.ApiVersions), func(kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				seen.Add(1)
				return nil, nil, false
			})
			p := newProducer(t, testConfig(b.Addr()))
			if n, err := p.Partitions(t.Context(), "orders"); err != nil || n != 3 {
				t.Fatalf("first Partitions = %d, %v; want 3", n, err)
			}

			m := p.meta
			m.mu.Lock()
			expire(m)
			m.mu.Unlock()
			checksBefore, seenBefore, expired := m.liveChecks.Load(), seen.Load(), time.Now()

			errs := make([]error, callers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range callers {
				wg.Go(func() {
					<-start
					n, err := p.Partitions(t.Context(), "orders")
					if err == nil && n != 3 {
						err = errors.New("wrong count")
					}
					errs[i] = err
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("caller %d: Partitions: %v; want 3 partitions", i, err)
				}
			}
			// A stale count is renewed in the background: wait for it.
			waitFor(t, "the count to be renewed", func() bool {
				m.mu.RLock()
				defer m.mu.RUnlock()
				return m.counts["orders"].at.After(expired)
			})
			if got := m.liveChecks.Load() - checksBefore; got != 1 {
				t.Errorf("%d callers made %d live checks, want 1 shared", callers, got)
			}
			// At most one more for the handshake, should the check have
			// needed a new connection; one per caller was the bug.
			if got := seen.Load() - seenBefore; got > 2 {
				t.Errorf("broker answered %d ApiVersions requests for %d callers, want at most 2", got, callers)
			}
		})
	}
}

// A stale count keeps serving while the background check runs, but once the
// check fails the count is forgotten: the next caller gets the failure (a 503
// for the proxy) rather than a count for a cluster that is gone.
func TestPartitionsForgetsStaleCountWhenCheckFails(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 3})
	cfg := testConfig(b.Addr())
	cfg.Producer.MetadataWaitMs = 300
	p := newProducer(t, cfg)
	if n, err := p.Partitions(t.Context(), "orders"); err != nil || n != 3 {
		t.Fatalf("first Partitions = %d, %v; want 3", n, err)
	}
	m := p.meta
	m.mu.Lock()
	m.counts["orders"] = cachedCount{n: 3, at: time.Now().Add(-metadataTTL - time.Second)}
	m.mu.Unlock()
	b.Close()

	n, err := p.Partitions(t.Context(), "orders")
	if err != nil || n != 3 {
		t.Fatalf("stale count while its check runs: Partitions = %d, %v; want the stale 3", n, err)
	}
	waitFor(t, "Partitions to fail", func() bool {
		n, err := p.Partitions(t.Context(), "orders")
		switch {
		case errors.Is(err, ErrUnavailable):
			return true
		case err != nil || n != 3:
			t.Fatalf("Partitions = %d, %v; want the stale 3 or ErrUnavailable", n, err)
		}
		return false
	})
}

// waitFor polls cond until it holds, failing the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, waitLimit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// silentListener accepts connections and never answers, like a hung broker.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return ln.Addr().String()
}
