package producer

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// waitLimit bounds every wait in these tests; it is far above what any step
// needs, so it only turns a hang into a failure.
const waitLimit = 20 * time.Second

func testConfig(addr string) config.Config {
	cfg := config.Default()
	cfg.Kafka.BootstrapServers = []string{addr}
	cfg.Producer.LingerMs = 1
	cfg.Producer.DeliveryTimeoutMs = 10000
	cfg.Producer.MetadataWaitMs = 3000
	return cfg
}

// logBuffer collects the producer's log so tests can assert on it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newProducer(t testing.TB, cfg config.Config) *Producer {
	return newProducerLogging(t, cfg, io.Discard)
}

func newProducerLogging(t testing.TB, cfg config.Config, w io.Writer) *Producer {
	t.Helper()
	p, err := New(cfg, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func newRecord(partition int32, key, value string, ts time.Time, headers ...record.Header) *record.Record {
	rec := &record.Record{Partition: partition, Headers: headers, Timestamp: ts}
	if key != "" {
		rec.Key = record.Data{Bytes: []byte(key)}
	}
	rec.Value = record.Data{Bytes: []byte(value)}
	return rec
}

// produceAll produces recs to topic concurrently and returns their results
// in input order, failing the test if any done is missing or called twice.
func produceAll(t testing.TB, p *Producer, topic string, recs ...*record.Record) []Result {
	t.Helper()
	results := make([]Result, len(recs))
	calls := make([]int, len(recs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for i, rec := range recs {
		p.Produce(topic, rec, func(r Result) {
			mu.Lock()
			results[i] = r
			calls[i]++
			first := calls[i] == 1
			mu.Unlock()
			if first {
				wg.Done()
			}
		})
	}
	waitGroup(t, &wg, "done callbacks")
	mu.Lock()
	defer mu.Unlock()
	for i, n := range calls {
		if n != 1 {
			t.Errorf("record %d: done called %d times, want once", i, n)
		}
	}
	return results
}

func waitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not all arrive within %s", what, waitLimit)
	}
}

// readBack consumes n records of one partition from its first offset
// through a kafka-go Reader, a client independent of the producer under test.
func readBack(t testing.TB, addr, topic string, partition, n int) []kafka.Message {
	t.Helper()
	return kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: partition}, kafka.FirstOffset, n)
}

func describe(r Result) string {
	if r.Err != nil {
		return fmt.Sprintf("error %d %q", r.Err.Code(), r.Err.Message)
	}
	return fmt.Sprintf("partition %d offset %d", r.Partition, r.Offset)
}
