package producer

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// BenchmarkProduce measures asynchronous throughput of 200-byte records to
// one partition of an in-process kfake broker, which shares the CPU with the
// producer: a floor for the producer's own cost, not a broker benchmark.
func BenchmarkProduce(b *testing.B) {
	broker := kafkatest.StartBroker(b, map[string]int32{"bench": 1})
	p := newProducer(b, testConfig(broker.Addr()))
	if _, err := p.Partitions(b.Context(), "bench"); err != nil {
		b.Fatal(err)
	}
	rec := &record.Record{
		Partition: 0,
		Key:       record.Data{Bytes: []byte("key-0001")},
		Value:     record.Data{Bytes: []byte(strings.Repeat("v", 192))},
		Timestamp: time.Now(),
	}
	// Bound records in flight, as the server does.
	slots := make(chan struct{}, 8192)
	var wg sync.WaitGroup
	var failed sync.Once
	done := func(r Result) {
		if r.Err != nil {
			failed.Do(func() { b.Errorf("produce: %s", describe(r)) })
		}
		<-slots
		wg.Done()
	}

	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		slots <- struct{}{}
		wg.Add(1)
		p.Produce("bench", rec, done)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
