// Package management is the proxy's operational side: its Prometheus
// metrics and the /livez, /readyz and /metrics endpoints. The metric labels
// of errors come from package apierror's table.
package management

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// RateLimitNames are the limit labels of the six rate-limit budgets
// (rateLimit.recordsPerSecond, bytesPerSecond, perClusterRecordsPerSecond,
// perClusterBytesPerSecond, and a principal's own records and bytes per
// second of authorization.rules), in that order.
var RateLimitNames = [6]string{"rate_records_global", "rate_bytes_global", "rate_records_cluster", "rate_bytes_cluster", "rate_records_principal", "rate_bytes_principal"}

// fileReloads are the series of the files re-read while running.
type fileReloads struct {
	errors *prometheus.CounterVec // restproxy_file_reload_errors_total by file
	loaded *prometheus.GaugeVec   // restproxy_file_reload_success_timestamp_seconds by file
}

// Metrics are a server's Prometheus series, on a registry of its own so
// that two servers in one process (tests) never share counters. Every
// series of a label set the table knows is created up front, so a dashboard
// sees 0 rather than no series, and counting is an array index and an
// atomic add.
type Metrics struct {
	registry *prometheus.Registry

	reports       [apierror.NumKinds]prometheus.Counter // restproxy_records_total by the kind's error_code
	limits        [apierror.NumKinds]prometheus.Counter // the limit a kind reports, nil for none
	refusals      [apierror.NumKinds]prometheus.Counter // restproxy_streams_rejected_total by reason
	rateLimited   prometheus.Counter
	rateLimits    [6]prometheus.Counter
	receivedBytes prometheus.Counter
	decompressed  [2]prometheus.Counter // restproxy_decompressed_bytes_total: gzip, zstd
	activeStreams prometheus.Gauge
	reportLatency prometheus.Histogram
	reloads       fileReloads
	principals    *principals // restproxy_principal_records_total, bounded
}

// NewMetrics builds the series; stats, when not nil, are kafka-go's Writer
// counters since the previous call, and inFlight, when not nil, the records
// and bytes the flow bounds hold, read when /metrics is scraped.
func NewMetrics(stats func() kafka.WriterStats, inFlight func() (records, bytes int64)) *Metrics {
	return NewMetricsLimited(stats, inFlight, config.DefaultPrincipalLimit)
}

// NewMetricsLimited is NewMetrics with per-principal counters for at most
// principalLimit named principals (metrics.principalLimit).
func NewMetricsLimited(stats func() kafka.WriterStats, inFlight func() (records, bytes int64), principalLimit int) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), principals: newPrincipals(principalLimit)}
	reports, limits, refusals := m.newErrorSeries()
	m.newSeries()
	m.registry.MustRegister(reports, m.receivedBytes, m.decompressedVec(), m.activeStreams,
		m.reportLatency, refusals, m.rateLimited, limits, m.reloads.errors, m.reloads.loaded, m.principals.records,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if inFlight != nil {
		m.registry.MustRegister(inFlightGauges(inFlight)...)
	}
	if stats != nil {
		m.registry.MustRegister(newWriterCollector(stats))
	}
	return m
}

// newErrorSeries builds the counters by error kind and rate-limit budget,
// creating the series of every label the error table knows.
func (m *Metrics) newErrorSeries() (reports, limits, refusals *prometheus.CounterVec) {
	reports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_records_total",
		Help: "Records answered in streams, by the error_code of their report (200 is success).",
	}, []string{"error_code"})
	limits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_limit_exceeded_total",
		Help: "Requests or records refused by a configured limit, by limit (rate limits per dimension, max_streams, max_request_bytes, max_record_bytes, max_message_bytes, stream_max_age).",
	}, []string{"limit"})
	refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_streams_rejected_total",
		Help: "Produce requests refused before streaming, by reason.",
	}, []string{"reason"})
	for i, name := range RateLimitNames {
		m.rateLimits[i] = limits.WithLabelValues(name)
	}
	m.reports[apierror.Success] = reports.WithLabelValues("200")
	for _, k := range append(apierror.Refusals(), apierror.RecordFailures()...) {
		e := k.Entry()
		if e.Limit != "" {
			m.limits[k] = limits.WithLabelValues(e.Limit)
		}
		if k.PerRecord() {
			m.reports[k] = reports.WithLabelValues(strconv.Itoa(e.Code))
		} else {
			m.refusals[k] = refusals.WithLabelValues(e.Label)
		}
	}
	return reports, limits, refusals
}

// newSeries builds the other counters, the gauges and the histogram.
func (m *Metrics) newSeries() {
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "restproxy_rate_limited_records_total",
		Help: "Records answered 429 by the rate limits and not produced.",
	})
	m.receivedBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "restproxy_received_bytes_total",
		Help: "JSON bytes of the records read from request bodies.",
	})
	m.activeStreams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "restproxy_active_streams",
		Help: "Produce requests being streamed now.",
	})
	m.reportLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "restproxy_report_latency_seconds",
		Help:    "Time from a record being read to its report being written.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	})
	m.reloads.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_file_reload_errors_total",
		Help: "Checks of a file re-read while running that did not load it, the last good version staying in use, by file (its config key).",
	}, []string{"file"})
	m.reloads.loaded = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "restproxy_file_reload_success_timestamp_seconds",
		Help: "When the version in use of a file re-read while running was loaded (at start, or since), in Unix seconds, by file (its config key).",
	}, []string{"file"})
}

// decompressedVec builds restproxy_decompressed_bytes_total, with its two
// series.
func (m *Metrics) decompressedVec() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "restproxy_decompressed_bytes_total",
		Help: "Bytes the decompressors of gzip and zstd request bodies produced, by encoding: what the limits of decompressed bodies are checked against.",
	}, []string{"encoding"})
	m.decompressed[0] = v.WithLabelValues("gzip")
	m.decompressed[1] = v.WithLabelValues("zstd")
	return v
}

// Decompressed counts n bytes a decompressor of encoding produced.
func (m *Metrics) Decompressed(encoding string, n int) {
	i := 0
	if encoding == "zstd" {
		i = 1
	}
	m.decompressed[i].Add(float64(n))
}

// inFlightGauges read the records and bytes the flow bounds hold when
// /metrics is scraped.
func inFlightGauges(inFlight func() (records, bytes int64)) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "restproxy_in_flight_records",
			Help: "Records read and not yet reported, plus records Kafka still holds after their delivery timeout (bounded by http.maxInFlightTotal).",
		}, func() float64 { r, _ := inFlight(); return float64(r) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "restproxy_in_flight_bytes",
			Help: "The JSON bytes of the records counted by restproxy_in_flight_records (bounded by http.maxInFlightBytesTotal).",
		}, func() float64 { _, b := inFlight(); return float64(b) }),
	}
}

// Report counts one record's report of kind k, written latency after the
// record was read (negative: not observed), and the limit it stands for.
// A non-nil exemplar (the trace of a sampled request) goes with the
// latency, for /metrics in the OpenMetrics format.
func (m *Metrics) Report(k apierror.Kind, latency time.Duration, exemplar prometheus.Labels) {
	m.reports[k].Inc()
	if c := m.limits[k]; c != nil {
		c.Inc()
	}
	if k == apierror.RateLimited {
		m.rateLimited.Inc()
	}
	switch {
	case latency < 0:
	case exemplar != nil:
		m.reportLatency.(prometheus.ExemplarObserver).ObserveWithExemplar(latency.Seconds(), exemplar)
	default:
		m.reportLatency.Observe(latency.Seconds())
	}
}

// Refused counts a request refused before streaming, and the limit behind it.
func (m *Metrics) Refused(e *apierror.Error) {
	if c := m.refusals[e.Kind]; c != nil {
		c.Inc()
	}
	if c := m.limits[e.Kind]; c != nil {
		c.Inc()
	}
}

// Principal returns the per-principal counters of name ("" for an
// anonymous client).
func (m *Metrics) Principal(name string) *PrincipalSeries { return m.principals.get(name) }

// RateLimitCounters are the limit counters of the rate-limit budgets, in
// RateLimitNames' order, for the rate limiter to count which one refused.
func (m *Metrics) RateLimitCounters() [6]prometheus.Counter { return m.rateLimits }

// ReceivedBytes counts the JSON bytes of one record read.
func (m *Metrics) ReceivedBytes(n int) { m.receivedBytes.Add(float64(n)) }

// StreamStarted and StreamEnded follow the streams being served.
func (m *Metrics) StreamStarted() { m.activeStreams.Inc() }

// StreamEnded: see StreamStarted.
func (m *Metrics) StreamEnded() { m.activeStreams.Dec() }

// FileReloadFailed counts a check of the files of config key key that did
// not load them (package reload's Metrics).
func (m *Metrics) FileReloadFailed(key string) { m.reloads.errors.WithLabelValues(key).Inc() }

// FileReloaded records when a version of the files of config key key was
// loaded (package reload's Metrics). The first call, at start, also
// creates key's error series, so a dashboard sees 0 rather than no series.
func (m *Metrics) FileReloaded(key string, at time.Time) {
	m.reloads.errors.WithLabelValues(key)
	m.reloads.loaded.WithLabelValues(key).Set(float64(at.UnixNano()) / 1e9)
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// LimitNames are every limit label of restproxy_limit_exceeded_total.
func LimitNames() []string {
	names := append([]string(nil), RateLimitNames[:]...)
	seen := map[string]bool{}
	for _, k := range append(apierror.Refusals(), apierror.RecordFailures()...) {
		if l := k.Entry().Limit; l != "" && !seen[l] {
			seen[l] = true
			names = append(names, l)
		}
	}
	return names
}
