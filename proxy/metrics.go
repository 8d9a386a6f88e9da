package proxy

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	kafka "github.com/segmentio/kafka-go"
)

// reportCodes are the error_code values the server answers in-stream. Their
// counters are created up front, so counting a report is an array index and
// an atomic add, not a label lookup; any other code takes the slow path.
var reportCodes = [...]int{200, 400, 408, 413, 422, 429, 500, 40002, 40101, 40301, 40402, 40403, 50002, 50003}

// codeIndex returns the position of code in reportCodes, or len(reportCodes)
// for a code not listed.
func codeIndex(code int) int {
	for i, c := range reportCodes {
		if c == code {
			return i
		}
	}
	return len(reportCodes)
}

// metrics are the server's Prometheus series, on a registry of its own so
// that two servers in one process (tests) never share counters.
type metrics struct {
	registry *prometheus.Registry

	reports        *prometheus.CounterVec
	reportsByCode  [len(reportCodes)]prometheus.Counter
	receivedBytes  prometheus.Counter
	activeStreams  prometheus.Gauge
	inFlight       prometheus.Gauge
	reportLatency  prometheus.Histogram
	streamsRefused *prometheus.CounterVec
	rateLimited    prometheus.Counter
}

func newMetrics(stats func() kafka.WriterStats) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "restproxy_records_total",
			Help: "Records answered in streams, by the error_code of their report (200 is success).",
		}, []string{"error_code"}),
		receivedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "restproxy_received_bytes_total",
			Help: "JSON bytes of the records read from request bodies.",
		}),
		activeStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "restproxy_active_streams",
			Help: "Produce requests being streamed now.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "restproxy_in_flight_records",
			Help: "Records handed to the Kafka producer and not yet acknowledged (bounded by http.maxInFlightTotal).",
		}),
		reportLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "restproxy_report_latency_seconds",
			Help:    "Time from a record being read to its report being written.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		streamsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "restproxy_streams_rejected_total",
			Help: "Produce requests refused before streaming, by reason.",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "restproxy_rate_limited_records_total",
			Help: "Records answered 429 by the rate limits and not produced.",
		}),
	}
	for i, code := range reportCodes {
		m.reportsByCode[i] = m.reports.WithLabelValues(strconv.Itoa(code))
	}
	m.registry.MustRegister(m.reports, m.receivedBytes, m.activeStreams, m.inFlight,
		m.reportLatency, m.streamsRefused, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		m.registry.MustRegister(newWriterCollector(stats))
	}
	return m
}

func (m *metrics) countReport(code int) {
	if i := codeIndex(code); i < len(reportCodes) {
		m.reportsByCode[i].Inc()
		return
	}
	m.reports.WithLabelValues(strconv.Itoa(code)).Inc()
}
