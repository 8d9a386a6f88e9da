package management

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	kafka "github.com/segmentio/kafka-go"
)

// writerCollector exposes the Kafka writer's statistics. kafka-go's Stats
// returns counters as deltas since its previous call, so the collector
// keeps the running totals Prometheus expects of a counter.
type writerCollector struct {
	stats func() kafka.WriterStats

	mu     sync.Mutex
	totals writerTotals // guarded by mu

	desc writerDescs
}

// writerTotals are the running totals of kafka-go's counters.
type writerTotals struct {
	writes, messages, bytes, errors, retries int64
}

// writerDescs describe the counters (in writerTotals' order) and the
// averages since the previous scrape.
type writerDescs struct {
	writes, messages, bytes, errors, retries *prometheus.Desc
	batchSize, writeTime                     *prometheus.Desc
}

func newWriterCollector(stats func() kafka.WriterStats) *writerCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("restproxy_kafka_writer_"+name, help, nil, nil)
	}
	return &writerCollector{
		stats: stats,
		desc: writerDescs{
			writes:    d("writes_total", "Produce requests sent to Kafka."),
			messages:  d("messages_total", "Records sent to Kafka."),
			bytes:     d("bytes_total", "Record bytes sent to Kafka."),
			errors:    d("errors_total", "Failed produce requests."),
			retries:   d("retries_total", "Retried produce requests."),
			batchSize: d("batch_size_avg", "Average records per batch since the previous scrape."),
			writeTime: d("write_seconds_avg", "Average time of a produce request since the previous scrape."),
		},
	}
}

// counters are the descriptors of the running totals, in writerTotals' order.
func (d *writerDescs) counters() []*prometheus.Desc {
	return []*prometheus.Desc{d.writes, d.messages, d.bytes, d.errors, d.retries}
}

func (c *writerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append(c.desc.counters(), c.desc.batchSize, c.desc.writeTime) {
		ch <- d
	}
}

func (c *writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	c.mu.Lock()
	t := &c.totals
	t.writes += s.Writes
	t.messages += s.Messages
	t.bytes += s.Bytes
	t.errors += s.Errors
	t.retries += s.Retries
	totals := [...]int64{t.writes, t.messages, t.bytes, t.errors, t.retries}
	c.mu.Unlock()
	for i, d := range c.desc.counters() {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(totals[i]))
	}
	ch <- prometheus.MustNewConstMetric(c.desc.batchSize, prometheus.GaugeValue, float64(s.BatchSize.Avg))
	ch <- prometheus.MustNewConstMetric(c.desc.writeTime, prometheus.GaugeValue, s.WriteTime.Avg.Seconds())
}
