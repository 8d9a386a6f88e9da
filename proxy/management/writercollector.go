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

	mu                                       sync.Mutex
	writes, messages, bytes, errors, retries int64

	writesDesc, messagesDesc, bytesDesc, errorsDesc, retriesDesc *prometheus.Desc
	batchSizeDesc, writeTimeDesc                                 *prometheus.Desc
}

func newWriterCollector(stats func() kafka.WriterStats) *writerCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("restproxy_kafka_writer_"+name, help, nil, nil)
	}
	return &writerCollector{
		stats:         stats,
		writesDesc:    d("writes_total", "Produce requests sent to Kafka."),
		messagesDesc:  d("messages_total", "Records sent to Kafka."),
		bytesDesc:     d("bytes_total", "Record bytes sent to Kafka."),
		errorsDesc:    d("errors_total", "Failed produce requests."),
		retriesDesc:   d("retries_total", "Retried produce requests."),
		batchSizeDesc: d("batch_size_avg", "Average records per batch since the previous scrape."),
		writeTimeDesc: d("write_seconds_avg", "Average time of a produce request since the previous scrape."),
	}
}

func (c *writerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.writesDesc, c.messagesDesc, c.bytesDesc, c.errorsDesc, c.retriesDesc, c.batchSizeDesc, c.writeTimeDesc} {
		ch <- d
	}
}

func (c *writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	c.mu.Lock()
	c.writes += s.Writes
	c.messages += s.Messages
	c.bytes += s.Bytes
	c.errors += s.Errors
	c.retries += s.Retries
	totals := [...]int64{c.writes, c.messages, c.bytes, c.errors, c.retries}
	c.mu.Unlock()
	for i, d := range []*prometheus.Desc{c.writesDesc, c.messagesDesc, c.bytesDesc, c.errorsDesc, c.retriesDesc} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(totals[i]))
	}
	ch <- prometheus.MustNewConstMetric(c.batchSizeDesc, prometheus.GaugeValue, float64(s.BatchSize.Avg))
	ch <- prometheus.MustNewConstMetric(c.writeTimeDesc, prometheus.GaugeValue, s.WriteTime.Avg.Seconds())
}
