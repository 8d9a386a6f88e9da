package proxy

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
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
	limitExceeded  [len(limitNames)]prometheus.Counter
	// limitByCode is the limit an in-stream report code stands for, by
	// codeIndex; nil for codes that are no limit's.
	limitByCode [len(reportCodes) + 1]prometheus.Counter
}

// The limits of issue 5, each a label value of
// restproxy_limit_exceeded_total, so one family shows every limit that
// refused something. Auth failures are refusals, not limits: they are
// restproxy_streams_rejected_total{reason="unauthenticated"} (401) and
// {reason="topic_forbidden"} (403).
const (
	limitRateRecordsGlobal  = iota // rateLimit.recordsPerSecond
	limitRateBytesGlobal           // rateLimit.bytesPerSecond
	limitRateRecordsCluster        // rateLimit.perClusterRecordsPerSecond
	limitRateBytesCluster          // rateLimit.perClusterBytesPerSecond
	limitMaxStreams                // http.maxStreams: HTTP 429
	limitMaxRequestBytes           // http.maxRequestBytes: HTTP 413
	limitMaxRecordBytes            // http.maxRecordBytes: fatal in-stream 400
	limitMaxMessageBytes           // producer.maxMessageBytes (or the broker's): in-stream 413
	limitStreamMaxAge              // http.streamMaxAgeMs: in-stream 408
)

var limitNames = [...]string{
	limitRateRecordsGlobal:  "rate_records_global",
	limitRateBytesGlobal:    "rate_bytes_global",
	limitRateRecordsCluster: "rate_records_cluster",
	limitRateBytesCluster:   "rate_bytes_cluster",
	limitMaxStreams:         "max_streams",
	limitMaxRequestBytes:    "max_request_bytes",
	limitMaxRecordBytes:     "max_record_bytes",
	limitMaxMessageBytes:    "max_message_bytes",
	limitStreamMaxAge:       "stream_max_age",
}

// refusalReasons are every reason label of restproxy_streams_rejected_total,
// created up front so a dashboard sees 0 rather than no series.
var refusalReasons = [...]string{"method", "media_type", "charset", "empty_body", "idle", "path",
	"unknown_cluster", "unknown_topic", "unauthenticated", "topic_forbidden", "kafka_unauthenticated", "kafka_tls", "too_large",
	"too_many_streams", "kafka_unavailable", "shutting_down", "internal"}

// limitOfRefusal is the limit behind a refusal before streaming, if any.
var limitOfRefusal = map[string]int{"too_many_streams": limitMaxStreams, "too_large": limitMaxRequestBytes}

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
	limits := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_limit_exceeded_total",
		Help: "Requests or records refused by a configured limit, by limit (rate limits per dimension, max_streams, max_request_bytes, max_record_bytes, max_message_bytes, stream_max_age).",
	}, []string{"limit"})
	for i, code := range reportCodes {
		m.reportsByCode[i] = m.reports.WithLabelValues(strconv.Itoa(code))
	}
	for i, name := range limitNames {
		m.limitExceeded[i] = limits.WithLabelValues(name)
	}
	m.limitByCode[codeIndex(408)] = m.limitExceeded[limitStreamMaxAge]
	m.limitByCode[codeIndex(413)] = m.limitExceeded[limitMaxMessageBytes]
	for _, reason := range refusalReasons {
		m.streamsRefused.WithLabelValues(reason)
	}
	m.registry.MustRegister(m.reports, m.receivedBytes, m.activeStreams, m.inFlight,
		m.reportLatency, m.streamsRefused, m.rateLimited, limits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		m.registry.MustRegister(newWriterCollector(stats))
	}
	return m
}

// countReport counts one in-stream report, and the limit it stands for:
// in-stream 408 only comes from the stream's maximum age, and 413 only from
// a record above the maximum message size.
func (m *metrics) countReport(code int) {
	i := codeIndex(code)
	if c := m.limitByCode[i]; c != nil {
		c.Inc()
	}
	if i < len(reportCodes) {
		m.reportsByCode[i].Inc()
		return
	}
	m.reports.WithLabelValues(strconv.Itoa(code)).Inc()
}

// countRefusal counts a request refused before streaming, and the limit
// behind it.
func (m *metrics) countRefusal(rerr *requestError) {
	m.streamsRefused.WithLabelValues(rerr.reason).Inc()
	if limit, ok := limitOfRefusal[rerr.reason]; ok {
		m.limitExceeded[limit].Inc()
	}
}

// countFatal counts the limit behind a fatal in-stream error: the only
// limit that ends a stream is a record above http.maxRecordBytes.
func (m *metrics) countFatal(e *record.Error) {
	if e.Message == record.MessageTooLarge {
		m.limitExceeded[limitMaxRecordBytes].Inc()
	}
}
